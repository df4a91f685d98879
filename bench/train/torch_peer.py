#!/usr/bin/env python3
"""PyTorch peer of the mtl training benchmark (bench/train, issue #6).

The same workloads written directly in PyTorch, in one of two forms (FORMS):

  default  the library default, as common recommender code writes it: one plain
           nn.Embedding per categorical feature (dense gradients) and
           torch.optim.Adam over every parameter, so each step updates every row
           of every table;
  sparse   the best practice: nn.Embedding(sparse=True) with torch.optim.SparseAdam
           for the tables (lazy Adam: only the rows a batch reads, mtl's math)
           and torch.optim.Adam for the rest. Serving an MMoE request whose
           rows all carry one user's features, it computes the user columns'
           share of every layer that reads the input once per request
           (RepeatedUser), as mtl's fused forward pass does.

Both use nn.Linear + ReLU MLPs and BCE with logits (MMoE with regression
tasks, shape["loss"] == "mse": MSE on the heads' values).

A long-lived child of bench/train/index.ts that speaks JSON lines, so that its
rounds interleave with mtl's in one benchmark run:

  <- {"event": "ready", "torch": "1.13.0", ...}      once, on start
  -> {"cmd": "setup", "workload": {...}, "threads": 1, "seed": 7, "form": "sparse"}
  -> {"cmd": "train", "steps": 3}          <- {"ok": true, "stepMs": [...], ...}
  -> {"cmd": "serve", "requests": 20}      <- {"ok": true, "latencyMs": [...], ...}
  -> {"cmd": "throughput", "calls": 2}     <- {"ok": true, "callMs": [...], ...}
  -> {"cmd": "threads", "threads": 2, "kind": "train", "units": 4}
                                           <- {"ok": true, "threads": 1, "roundMs": {...}}
  -> {"cmd": "sgemm", "m": 1024, "k": 416, "n": 2048, "seconds": 1}
                                           <- {"ok": true, "gflops": 80.1, ...}
  -> {"cmd": "exit"}

Every reply carries peakRssBytes, the process's peak resident set so far.
A failing command replies {"ok": false, "error": "..."} and the loop goes on.
The workload description is built by bench/train/peer-shape.ts from the
compiled .mtl spec, so both sides train the same shapes.
"""
import json
import pathlib
import resource
import sys
import time
import traceback

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch import nn
except Exception as error:  # reported to the parent, which prints mtl alone
    print(json.dumps({"event": "error", "error": f"cannot import torch: {error}"}), flush=True)
    sys.exit(1)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from torch_common import Mlp, sparse_and_dense_adam  # noqa: E402 (bench/, after torch)

# Distinct random batches cycled through, so no step sees exactly the previous
# step's ids (matters for cache behaviour of the embedding lookups).
DISTINCT_BATCHES = 4
DISTINCT_REQUESTS = 4
# Thread choice at n > 1 threads (choose_threads): interleaved rounds of each setting.
THREAD_ROUNDS = 3

# The peer's forms (see the docstring); "default" when setup names none.
FORMS = ("default", "sparse")


def peak_rss_bytes():
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def blas_library():
    """The BLAS torch's matmuls run on, as mapped into this process: Debian's
    python3-torch uses whatever libblas.so.3 the alternatives system points to,
    which is the unoptimised reference BLAS unless OpenBLAS is installed."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "/" in line}
    except OSError:
        return None
    found = sorted(p for p in paths if "blas" in p.lower() or "mkl" in p.lower())
    return found[0] if found else None


class Inputs(nn.Module):
    """The concatenated input: numeric columns as they are, or one
    nn.Embedding per categorical feature, concatenated."""

    def __init__(self, shape, sparse):
        super().__init__()
        self.numeric = shape["numeric"]
        cat = shape["categorical"]
        self.embeddings = nn.ModuleList(
            nn.Embedding(cat["buckets"], cat["dim"], sparse=sparse) for _ in range(cat["count"])
        )
        self.width = self.numeric + cat["count"] * cat["dim"]

    def forward(self, numeric, ids):
        parts = [] if numeric is None else [numeric]
        parts += [table(ids[:, k]) for k, table in enumerate(self.embeddings)]
        return torch.cat(parts, dim=1)


class MMoE(nn.Module):
    """Shared experts, a softmax gate and a tower per task; returns logits (regression: values)."""

    def __init__(self, shape, sparse=False):
        super().__init__()
        self.inputs = Inputs(shape, sparse)
        width = self.inputs.width
        self.experts = nn.ModuleList(Mlp(width, shape["expertUnits"]) for _ in range(shape["experts"]))
        self.gates = nn.ModuleList(nn.Linear(width, shape["experts"]) for _ in range(shape["tasks"]))
        self.towers = nn.ModuleList(Mlp(shape["expertUnits"][-1], shape["towerUnits"]) for _ in range(shape["tasks"]))
        self.heads = nn.ModuleList(nn.Linear(shape["towerUnits"][-1], 1) for _ in range(shape["tasks"]))
        self.regression = shape.get("loss", "bce") == "mse"

    def forward(self, numeric, ids):
        x = self.inputs(numeric, ids)
        experts = torch.stack([e(x) for e in self.experts], dim=1)  # [batch, n, width]
        logits = []
        for gate, tower, head in zip(self.gates, self.towers, self.heads):
            weights = torch.softmax(gate(x), dim=1).unsqueeze(1)  # [batch, 1, n]
            mixed = torch.bmm(weights, experts).squeeze(1)
            logits.append(head(tower(mixed)).squeeze(1))
        return logits

    def loss(self, logits, labels):
        task_loss = F.mse_loss if self.regression else F.binary_cross_entropy_with_logits
        return sum(task_loss(l, y) for l, y in zip(logits, labels))

    def scores(self, logits):
        return list(logits) if self.regression else [torch.sigmoid(l) for l in logits]


class ESMM(nn.Module):
    """CTR and CVR towers on shared embeddings; pCTCVR = pCTR * pCVR."""

    def __init__(self, shape, sparse=False):
        super().__init__()
        self.inputs = Inputs(shape, sparse)
        width = self.inputs.width
        last = shape["towerUnits"][-1]
        self.ctr = nn.Sequential(Mlp(width, shape["towerUnits"]), nn.Linear(last, 1))
        self.cvr = nn.Sequential(Mlp(width, shape["towerUnits"]), nn.Linear(last, 1))

    def forward(self, numeric, ids):
        x = self.inputs(numeric, ids)
        return [self.ctr(x).squeeze(1), self.cvr(x).squeeze(1)]

    def loss(self, logits, labels):
        ctr_logit, cvr_logit = logits
        click, purchase = labels
        p_ctcvr = torch.sigmoid(ctr_logit) * torch.sigmoid(cvr_logit)
        return F.binary_cross_entropy_with_logits(ctr_logit, click) + F.binary_cross_entropy(p_ctcvr, purchase)

    def scores(self, logits):
        p_ctr, p_cvr = (torch.sigmoid(l) for l in logits)
        return [p_ctr, p_cvr, p_ctr * p_cvr]


ARCHITECTURES = {"mmoe": MMoE, "esmm": ESMM}


class RepeatedUser:
    """An MMoE's forward pass for a request whose rows all carry one user's
    features: the input is [user | items], so each first expert layer and each
    gate is x_user W_user + X_items W_items + b, and the user's part is one
    row, computed once and broadcast. The weights are split once, here (the
    model is not trained while it serves)."""

    def __init__(self, model, user):
        self.model = model
        self.user = user
        width = user * model.inputs.embeddings[0].embedding_dim

        def split(linear):
            w = linear.weight.detach()
            return w[:, :width].t().contiguous(), w[:, width:].t().contiguous(), linear.bias.detach()

        self.experts = [(split(expert[0]), nn.Sequential(*list(expert)[1:])) for expert in model.experts]
        self.gates = [split(gate) for gate in model.gates]

    def applies(self, numeric, ids):
        return numeric is None and bool((ids[:, : self.user] == ids[0, : self.user]).all())

    def forward(self, ids):
        tables = self.model.inputs.embeddings
        x_user = torch.cat([tables[k](ids[:1, k]) for k in range(self.user)], dim=1)
        x_items = torch.cat([tables[k](ids[:, k]) for k in range(self.user, len(tables))], dim=1)

        def first(parts):
            w_user, w_items, bias = parts
            return torch.addmm(torch.addmm(bias, x_user, w_user), x_items, w_items)

        experts = torch.stack([rest(first(parts)) for parts, rest in self.experts], dim=1)
        logits = []
        for parts, tower, head in zip(self.gates, self.model.towers, self.model.heads):
            weights = torch.softmax(first(parts), dim=1).unsqueeze(1)
            logits.append(head(tower(torch.bmm(weights, experts).squeeze(1))).squeeze(1))
        return logits


def optimizers(model, form, lr):
    """Adam over everything (default), or SparseAdam for the tables and Adam for the rest (sparse)."""
    if form not in FORMS:
        raise ValueError(f"unknown form '{form}' (one of {', '.join(FORMS)})")
    if form == "default":
        return [torch.optim.Adam(model.parameters(), lr=lr)]
    return sparse_and_dense_adam(model, list(model.inputs.embeddings.parameters()), lr)


def build(shape, form):
    """The model and its optimizers in the given form."""
    model = ARCHITECTURES[shape["architecture"]](shape, sparse=form == "sparse")
    return model, optimizers(model, form, shape["lr"])


def sgemm_gflops(m, k, n, seconds):
    """Single-precision [m, k] x [k, n] products through torch.mm on the current
    threads, best GFLOP/s (2mkn flops per product) over repeats for about `seconds`."""
    a = torch.randn(m, k)
    b = torch.randn(k, n)
    out = torch.empty(m, n)
    torch.mm(a, b, out=out)  # warm-up: page in, let the BLAS allocate its buffers
    best = float("inf")
    deadline = time.perf_counter() + seconds
    repeats = 0
    while repeats < 3 or time.perf_counter() < deadline:
        start = time.perf_counter()
        torch.mm(a, b, out=out)
        best = min(best, time.perf_counter() - start)
        repeats += 1
    return {"gflops": 2 * m * k * n / best / 1e9, "repeats": repeats}


class Workload:
    def __init__(self, shape, seed, form="default"):
        self.shape = shape
        self.form = form
        self.generator = np.random.default_rng(seed)
        self.model, self.optimizers = build(shape, form)
        serves_users = form == "sparse" and shape["architecture"] == "mmoe" and shape["numeric"] == 0 and shape["userFeatures"] > 0
        self.repeated = RepeatedUser(self.model, shape["userFeatures"]) if serves_users else None
        self.batches = [self.random_batch(shape["batch"]) for _ in range(DISTINCT_BATCHES)]
        self.requests = [self.random_request(shape["servingRows"]) for _ in range(DISTINCT_REQUESTS)]
        self.big_batch = self.random_inputs(shape["throughputRows"])
        self.steps = 0
        self.calls = 0

    def random_ids(self, rows, count):
        return self.generator.integers(0, self.shape["categorical"]["buckets"], size=(rows, count), dtype=np.int64)

    def random_inputs(self, rows):
        """Numeric [rows, n] float32 (or None) and ids [rows, features] int64 as numpy."""
        n = self.shape["numeric"]
        numeric = self.generator.standard_normal((rows, n), dtype=np.float32) if n > 0 else None
        return numeric, self.random_ids(rows, self.shape["categorical"]["count"])

    def random_batch(self, rows):
        numeric, ids = self.random_inputs(rows)
        click = (self.generator.random(rows) < 0.3).astype(np.float32)
        purchase = click * (self.generator.random(rows) < 0.1).astype(np.float32)
        to_tensor = lambda a: None if a is None else torch.from_numpy(a)
        return to_tensor(numeric), to_tensor(ids), [torch.from_numpy(click), torch.from_numpy(purchase)]

    def random_request(self, rows):
        """One user's features repeated over `rows` candidate items (numpy, as a server receives them)."""
        user = self.shape["userFeatures"]
        numeric, ids = self.random_inputs(rows)
        ids[:, :user] = ids[0, :user]
        return numeric, ids

    def train(self, steps):
        times = []
        loss_value = None  # JSON has no NaN
        self.model.train()
        for _ in range(steps):
            numeric, ids, labels = self.batches[self.steps % DISTINCT_BATCHES]
            start = time.perf_counter()
            for optimizer in self.optimizers:
                optimizer.zero_grad(set_to_none=True)
            loss = self.model.loss(self.model(numeric, ids), labels)
            loss.backward()
            for optimizer in self.optimizers:
                optimizer.step()
            loss_value = loss.item()
            times.append((time.perf_counter() - start) * 1000)
            self.steps += 1
        return {"stepMs": times, "loss": loss_value}

    def score(self, numeric, ids):
        """What a server does per call: numpy in, scores out as numpy."""
        with torch.inference_mode():
            if self.repeated is not None and self.repeated.applies(numeric, ids):
                logits = self.repeated.forward(torch.from_numpy(ids))
            else:
                logits = self.model(None if numeric is None else torch.from_numpy(numeric), torch.from_numpy(ids))
            return [s.numpy().copy() for s in self.model.scores(logits)]

    def timed_calls(self, inputs_for, calls):
        self.model.eval()
        times = []
        for _ in range(calls):
            numeric, ids = inputs_for(self.calls)
            start = time.perf_counter()
            self.score(numeric, ids)
            times.append((time.perf_counter() - start) * 1000)
            self.calls += 1
        return times

    def serve(self, requests):
        return {"latencyMs": self.timed_calls(lambda i: self.requests[i % DISTINCT_REQUESTS], requests)}

    def throughput(self, calls):
        return {"callMs": self.timed_calls(lambda _: self.big_batch, calls)}


def choose_threads(workload, threads, kind, units):
    """At n > 1 threads, the faster for this workload of torch's n intra-op
    threads and one intra-op thread with the BLAS still on n (mtl's setting),
    as an engineer tuning a trainer would choose: on two cores torch's OpenMP
    threads compete with OpenBLAS's own for the same cores (the parent sets
    OMP_WAIT_POLICY=PASSIVE so idle ones sleep), and which setting wins
    depends on how much of a step is matrix products. Interleaved rounds of
    `units` steps or requests (a benchmark round's worth), the median
    round's time; what runs here is extra warm-up."""
    run = (lambda: workload.train(units)["stepMs"]) if kind == "train" else (lambda: workload.serve(units)["latencyMs"])
    rounds = {threads: [], 1: []}
    for _ in range(THREAD_ROUNDS):
        for n in rounds:
            torch.set_num_threads(n)
            rounds[n].append(sum(run()))
    medians = {n: float(np.median(t)) for n, t in rounds.items()}
    torch.set_num_threads(min(medians, key=medians.get))
    return {"threads": torch.get_num_threads(), "roundMs": {str(n): m for n, m in medians.items()}}


def main():
    print(json.dumps({
        "event": "ready",
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "blas": blas_library(),
        "peakRssBytes": peak_rss_bytes(),
    }), flush=True)
    workload = None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            command = json.loads(line)
            name = command["cmd"]
            if name == "exit":
                break
            if name == "setup":
                torch.set_num_threads(command["threads"])
                torch.manual_seed(command["seed"])
                start = time.perf_counter()
                workload = Workload(command["workload"], command["seed"], command.get("form", "default"))
                reply = {"setupMs": (time.perf_counter() - start) * 1000, "threads": torch.get_num_threads(), "form": workload.form}
            elif name == "sgemm":
                torch.set_num_threads(command["threads"])
                reply = sgemm_gflops(command["m"], command["k"], command["n"], command["seconds"])
                reply["threads"] = torch.get_num_threads()
            elif workload is None:
                raise RuntimeError(f"'{name}' before 'setup'")
            elif name == "threads":
                reply = choose_threads(workload, command["threads"], command["kind"], command["units"])
            elif name == "train":
                reply = workload.train(command["steps"])
            elif name == "serve":
                reply = workload.serve(command["requests"])
            elif name == "throughput":
                reply = workload.throughput(command["calls"])
            else:
                raise RuntimeError(f"unknown command '{name}'")
            reply.update(ok=True, peakRssBytes=peak_rss_bytes())
            line = json.dumps(reply, allow_nan=False)  # a NaN (diverged loss) fails here, not in the parent
        except Exception as error:
            line = json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()})
        print(line, flush=True)


if __name__ == "__main__":
    main()
