"""Task weights under train.weighting gradnorm and dwa, as mtl computes them (src/runtime/balance).

GradNorm (Chen et al., ICML 2018): g_i = ||grad_W L_i|| over W, the last Dense
layer of the shared networks nearest the tasks (GRADNORM_LAYERS); G_i = w_i g_i;
r_i = (L_i / L_i(0)) / mean_j (L_j / L_j(0)); the weights take one Adam step on
dL_grad/dw_i = sign(G_i - mean(G) r_i^alpha) g_i (the target a constant), are
kept at least MIN_WEIGHT and renormalised to sum to T. A step where some L_i is
0 or a g_i is not finite leaves them as they are.

DWA (Liu, Johns and Davison, CVPR 2019): w_k = T softmax(r / temperature)_k with
r_k = L_k(e-1) / L_k(e-2) from epoch-average losses; 1 for the first two epochs.

Plain Python floats, the same arithmetic as the TypeScript, so the two back ends
give the same weights from the same losses and norms.
"""

import math

MIN_WEIGHT = 1e-3
BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-8


def gradnorm_update(state, losses, norms, alpha, lr):
    """One update; returns (L_grad or None when skipped, the new state)."""
    if not all(math.isfinite(l) and l > 0 for l in losses) or not all(math.isfinite(g) for g in norms):
        return None, state
    initial = state["initialLosses"] if state["initialLosses"] is not None else list(losses)
    count = len(losses)
    big_g = [w * g for w, g in zip(state["weights"], norms)]
    mean_g = sum(big_g) / count
    ratios = [l / l0 for l, l0 in zip(losses, initial)]
    mean_ratio = sum(ratios) / count
    targets = [mean_g * (r / mean_ratio) ** alpha for r in ratios]
    loss = sum(abs(g - t) for g, t in zip(big_g, targets))
    grads = [math.copysign(1.0, g - t) * n if g != t else 0.0 for g, t, n in zip(big_g, targets, norms)]
    t = state["t"] + 1
    m = [BETA1 * mi + (1 - BETA1) * g for mi, g in zip(state["m"], grads)]
    v = [BETA2 * vi + (1 - BETA2) * g * g for vi, g in zip(state["v"], grads)]
    stepped = [
        max(MIN_WEIGHT, w - lr * (mi / (1 - BETA1**t)) / (math.sqrt(vi / (1 - BETA2**t)) + EPSILON))
        for w, mi, vi in zip(state["weights"], m, v)
    ]
    total = sum(stepped)
    return loss, {"weights": [w * count / total for w in stepped], "initialLosses": initial, "m": m, "v": v, "t": t}


def dwa_weights(averages, count, temperature):
    """The next epoch's weights from the averages of the epochs before, oldest first."""
    if len(averages) < 2:
        return [1.0] * count
    before, last = averages[-2], averages[-1]
    ratios = [l / b if b > 0 else 1.0 for l, b in zip(last, before)]
    top = max(r / temperature for r in ratios)
    e = [math.exp(r / temperature - top) for r in ratios]
    total = sum(e)
    return [count * x / total for x in e]


class Balancer:
    """The state of gradnorm or dwa weighting; state_dict() is what a checkpoint keeps, in the TypeScript's layout."""

    def __init__(self, weighting, tasks):
        self.type = weighting["type"]
        self.options = weighting
        self.tasks = list(tasks)
        count = len(self.tasks)
        self.history = []
        if self.type == "gradnorm":
            self.gradnorm = {"weights": [1.0] * count, "initialLosses": None, "m": [0.0] * count, "v": [0.0] * count, "t": 0}
        else:
            self.averages, self.sums, self.steps = [], [0.0] * count, 0
            self.current = dwa_weights(self.averages, count, weighting["temperature"])

    def weights(self):
        values = self.gradnorm["weights"] if self.type == "gradnorm" else self.current
        return dict(zip(self.tasks, values))

    def stepped(self, losses, norms=None):
        values = [losses[t] for t in self.tasks]
        if self.type == "gradnorm":
            _, self.gradnorm = gradnorm_update(self.gradnorm, values, [norms[t] for t in self.tasks], self.options["alpha"], self.options["lr"])
        else:
            self.sums = [s + l for s, l in zip(self.sums, values)]
            self.steps += 1

    def epoch_ended(self, epoch):
        self.history.append({"epoch": epoch, "weights": self.weights()})
        if self.type == "dwa":
            self.averages = (self.averages + [[s / max(self.steps, 1) for s in self.sums]])[-2:]
            self.sums, self.steps = [0.0] * len(self.tasks), 0
            self.current = dwa_weights(self.averages, len(self.tasks), self.options["temperature"])

    def state_dict(self):
        if self.type == "gradnorm":
            return {"type": "gradnorm", "tasks": self.tasks, "gradnorm": self.gradnorm, "history": self.history}
        return {"type": "dwa", "tasks": self.tasks, "averages": self.averages, "sums": self.sums, "steps": self.steps, "history": self.history}

    def load_state_dict(self, state):
        if state["type"] != self.type or state["tasks"] != self.tasks:
            raise ValueError(f"the saved task weights are {state['type']}'s for tasks {', '.join(state['tasks'])}, not {self.type}'s for {', '.join(self.tasks)}")
        self.history = state["history"]
        if self.type == "gradnorm":
            self.gradnorm = state["gradnorm"]
        else:
            self.averages, self.sums, self.steps = state["averages"], state["sums"], state["steps"]
            self.current = dwa_weights(self.averages, len(self.tasks), self.options["temperature"])


def create(weighting, tasks):
    """A Balancer for gradnorm or dwa weighting; None for fixed and uncertainty."""
    return Balancer(weighting, tasks) if isinstance(weighting, dict) else None


def gradnorm_parameters(model, layers, tfjs_weights):
    """GradNorm's W: the kernels of `layers` (GRADNORM_LAYERS), found through model.py's TFJS_WEIGHTS."""
    parameter_of = {name: path for name, path, _ in tfjs_weights}
    return [model.get_parameter(parameter_of[f"{layer}/kernel"]) for layer in layers]


def task_grad_norms(losses, parameters, world=1):
    """g_i = ||grad_W L_i|| for every task, keeping the graph for the step's backward.

    With several processes the gradients are averaged over them first, as
    DistributedDataParallel averages the step's: the norm is the whole batch's.
    """
    import torch

    norms = {}
    for name, loss in losses.items():
        grads = [g if g is not None else torch.zeros_like(p) for g, p in zip(torch.autograd.grad(loss, parameters, retain_graph=True, allow_unused=True), parameters)]
        if world > 1:
            import torch.distributed as dist

            for g in grads:
                dist.all_reduce(g)
            grads = [g / world for g in grads]
        norms[name] = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads))
    return norms
