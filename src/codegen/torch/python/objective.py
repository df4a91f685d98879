"""The training objective, as mtl computes it (src/runtime/loss).

Each trained task's mean loss over its rows (its `where` rows when it has
one; with a sample weight column, sum(w l) / sum(w); with `debias`, ESCM²'s
reweighted loss over every row), weighted by the task's weight, by learned
uncertainty (Kendall, Gal and Cipolla 2018) or by the step's gradnorm or dwa
weights (balance.py), plus AITM's calibrators at their fixed weights, plus
train.l2 times the squared Dense kernels. Binary losses are computed from
logits, a product task's from its factors' logits, so a saturated sigmoid
never takes log(0).
"""

import torch
from torch import nn
from torch.nn import functional as F

from layers import Dense
from spec import TASKS, TRAIN

TASKS_BY_NAME = {t["name"]: t for t in TASKS}
TRAINED = [t for t in TASKS if t["label"] is not None]


def logit_leaves(task):
    """The dense binary tasks whose sigmoids multiply to `task`'s probability."""
    if task["head"]["op"] == "dense":
        return [task["name"]]
    return [leaf for factor in task["head"]["factors"] for leaf in logit_leaves(TASKS_BY_NAME[factor])]


def bce_with_logit_product(labels, logits):
    """BCE(y, prod sigmoid(l_k)), log(1 - p) telescoped into a logsumexp of finite terms."""
    if len(logits) == 1:
        return F.binary_cross_entropy_with_logits(logits[0], labels, reduction="none")
    log_s = [F.logsigmoid(l) for l in logits]
    terms = [F.logsigmoid(-logits[0])]
    prefix = log_s[0]
    for k in range(1, len(logits)):
        terms.append(prefix + F.logsigmoid(-logits[k]))
        prefix = prefix + log_s[k]
    log_one_minus_p = torch.logsumexp(torch.stack(terms, -1), -1)
    return -(labels * prefix + (1 - labels) * log_one_minus_p)


def huber(targets, predictions, delta):
    error = (predictions - targets).abs()
    quadratic = error.clamp(max=delta)
    return 0.5 * quadratic**2 + delta * (error - quadratic)


def masked_mean(per_row, mask):
    """sum(m l) / sum(m): m is 0/1 under `where`, or the row's sample weight; 0 when the weights sum to 0."""
    if mask is None:
        return per_row.mean()
    keep = mask > 0
    zeros = torch.zeros_like(per_row)
    total = torch.where(keep, mask * per_row, zeros).sum()
    weight = torch.where(keep, mask, zeros).sum()
    return total / torch.where(weight > 0, weight, torch.ones_like(weight))


def debiased_loss(per_row, mask, propensity, imputed, clip):
    """ESCM²'s counterfactual risk (src/runtime/loss/debias.ts): over every row, the
    `where` rows' losses divided by the detached, clipped propensity; with an
    imputation (dr), plus the imputed loss of every row and the imputation loss."""
    selected = mask > 0.5
    p = propensity.detach().clamp(min=clip)
    zero = torch.zeros_like(per_row)
    residual = per_row if imputed is None else per_row - imputed
    total = torch.where(selected, residual / p, zero).sum()
    if imputed is not None:
        # The imputation loss fits ê to the observed losses; it does not train the CVR tower (e detached).
        total = total + imputed.sum() + torch.where(selected, (per_row.detach() - imputed) ** 2 / p, zero).sum()
    return total / max(per_row.shape[0], 1)


def task_losses(outputs, logits, labels, masks):
    """The unweighted mean loss of every trained task."""
    losses = {}
    for task in TRAINED:
        name = task["name"]
        y = labels[name]
        loss = task["loss"]
        if loss["type"] == "bce":
            per_row = bce_with_logit_product(y, [logits[leaf].reshape(-1) for leaf in logit_leaves(task)])
        elif loss["type"] == "mse":
            per_row = (outputs[name].reshape(-1) - y) ** 2
        else:
            per_row = huber(y, outputs[name].reshape(-1), loss["delta"])
        debias = task.get("debias")
        if debias is None:
            losses[name] = masked_mean(per_row, masks.get(name))
        else:
            imputed = outputs[debias["imputation"]].reshape(-1) if debias["type"] == "dr" else None
            losses[name] = debiased_loss(per_row, masks[name], outputs[debias["propensity"]].reshape(-1), imputed, debias["clip"])
    return losses


def calibrator_terms(outputs):
    """AITM's calibrators (src/runtime/loss/calibrator.ts): calibrate * mean(max(p_task - p_from, 0)) over every row."""
    terms = []
    for task in TASKS:
        transfer = task.get("transfer")
        if transfer is None or transfer["calibrate"] == 0:
            continue
        excess = outputs[task["name"]].reshape(-1) - outputs[transfer["from"]].reshape(-1)
        terms.append(transfer["calibrate"] * torch.relu(excess).mean())
    return terms


class Objective(nn.Module):
    """The model and, under uncertainty weighting, one log-variance per trained task; forward gives the loss."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.uncertainty = TRAIN["weighting"] == "uncertainty"
        self.log_variances = nn.ParameterDict({t["name"]: nn.Parameter(torch.zeros(())) for t in TRAINED} if self.uncertainty else {})

    def forward(self, features, labels, masks, weights=None):
        """`weights`: the step's task weights under gradnorm or dwa weighting (balance.py), constants here."""
        outputs, logits = self.model(features)
        losses = task_losses(outputs, logits, labels, masks)
        terms = []
        for task in TRAINED:
            loss = losses[task["name"]]
            if self.uncertainty:
                s = self.log_variances[task["name"]]
                scale = 1.0 if task["loss"]["type"] == "bce" else 0.5
                terms.append(scale * torch.exp(-s) * loss + 0.5 * s)
            elif weights is not None:
                terms.append(weights[task["name"]] * loss)
            else:
                terms.append(task["weight"] * loss)
        terms.extend(calibrator_terms(outputs))
        total = torch.stack(terms).sum()
        if TRAIN["l2"] > 0:
            total = total + TRAIN["l2"] * sum((m.weight**2).sum() for m in self.model.modules() if isinstance(m, Dense))
        return total, losses
