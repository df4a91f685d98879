#!/usr/bin/env python3
"""PyTorch peer of the whole-process benchmark (bench/process, issues #16 and #17).

One run of this script is what a strong engineer writes to do the work of one
`mtl train` run, in a fresh process: read the CSV with pandas, encode it
(numeric transforms and z-scores, categorical hashing or vocabularies, labels),
build the same MMoE (same layer sizes, so the same parameter count), train the
given epochs over in-memory tensors with a fresh permutation per epoch, and
save the weights.

Best practice, not the library default:
  * one fused embedding table when every table has the same width (a single
    gather for all categorical features), nn.Embedding(sparse=True) with
    torch.optim.SparseAdam (lazy Adam, the same math as mtl's sparse path),
    Adam for the rest;
  * the experts' first layers as one nn.Linear (one wide product instead of
    one per expert) and every task's gate as one nn.Linear;
  * categorical values hashed with pandas' vectorised hash_array (mtl hashes
    with MurmurHash3; a vectorised hash is what a PyTorch script would use).

    python3 torch_process.py CONFIG.json          train; prints one JSON line
    python3 torch_process.py CONFIG.json --params  only build; prints {"params": N}

CONFIG is written by bench/process/peer-config.ts from the compiled spec.
"""
import json
import pathlib
import sys
import time


def main():
    config = json.load(open(sys.argv[1]))
    params_only = "--params" in sys.argv[2:]
    started = time.perf_counter()
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch import nn

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    from torch_common import Mlp, sparse_and_dense_adam  # bench/

    torch.set_num_threads(config["threads"])
    torch.manual_seed(config["train"]["seed"])
    imported = time.perf_counter()

    class MMoE(nn.Module):
        def __init__(self):
            super().__init__()
            tables = config["categorical"]
            dims = {t["dim"] for t in tables}
            self.fused = len(dims) == 1
            if self.fused:
                # One table holding every feature's rows; each feature's ids are offset into it.
                offsets = np.cumsum([0] + [t["rows"] for t in tables[:-1]])
                self.register_buffer("offsets", torch.tensor(offsets, dtype=torch.int64), persistent=False)
                self.table = nn.Embedding(sum(t["rows"] for t in tables), dims.pop(), sparse=True)
            else:
                self.tables = nn.ModuleList(nn.Embedding(t["rows"], t["dim"], sparse=True) for t in tables)
            width = len(config["numeric"]) + sum(t["dim"] for t in tables)
            n = config["experts"]
            units = config["expertUnits"]
            self.n, self.width0 = n, units[0]
            self.first = nn.Linear(width, n * units[0])  # every expert's first layer in one product
            self.rest = nn.ModuleList(Mlp(units[0], units[1:]) for _ in range(n)) if len(units) > 1 else None
            tasks = len(config["tasks"])
            self.gates = nn.Linear(width, tasks * n)  # every task's gate in one product
            self.towers = nn.ModuleList(Mlp(units[-1], config["towerUnits"]) for _ in range(tasks))
            self.heads = nn.ModuleList(nn.Linear(config["towerUnits"][-1], 1) for _ in range(tasks))

        def embedding_parameters(self):
            return [self.table.weight] if self.fused else [t.weight for t in self.tables]

        def forward(self, numeric, ids):
            parts = [] if numeric is None else [numeric]
            if ids is not None:
                if self.fused:
                    parts.append(self.table(ids + self.offsets).flatten(1))
                else:
                    parts += [t(ids[:, k]) for k, t in enumerate(self.tables)]
            x = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
            hidden = torch.relu(self.first(x))
            if self.rest is None:
                experts = hidden.view(-1, self.n, self.width0)  # [batch, n, width]
            else:
                chunks = hidden.split(self.width0, dim=1)
                experts = torch.stack([mlp(c) for mlp, c in zip(self.rest, chunks)], dim=1)
            gates = torch.softmax(self.gates(x).view(-1, len(self.heads), self.n), dim=2)  # [batch, tasks, n]
            mixed = torch.bmm(gates, experts)  # [batch, tasks, width]
            return [head(tower(mixed[:, k])).squeeze(1) for k, (tower, head) in enumerate(zip(self.towers, self.heads))]

    model = MMoE()
    params = sum(p.numel() for p in model.parameters())
    if params_only:
        print(json.dumps({"params": params}), flush=True)
        return
    built = time.perf_counter()

    import pandas as pd

    data = config["data"]
    frame = pd.read_csv(
        data["file"],
        header=0 if data["header"] else None,
        names=None if data["header"] else data["columns"],
        sep=data["delimiter"],
        skipinitialspace=data["trim"],
        na_values=data["missing"],
        keep_default_na=False,
        usecols=config["columns"],
        dtype={c["column"]: str for c in config["categorical"]},
        low_memory=False,
    )
    read = time.perf_counter()

    rows = len(frame)
    numeric = None
    if config["numeric"]:
        numeric = np.empty((rows, len(config["numeric"])), dtype=np.float32)
        for k, f in enumerate(config["numeric"]):
            x = frame[f["column"]].to_numpy(dtype=np.float64, na_value=np.nan)
            if f["transform"] == "log1p":
                x = np.log1p(x)
            x = np.where(np.isnan(x), np.nanmean(x), x)
            if f["normalize"] == "zscore":
                std = x.std()
                x = (x - x.mean()) / (std if std > 0 else 1)
            numeric[:, k] = x
        numeric = torch.from_numpy(numeric)
    ids = None
    if config["categorical"]:
        ids = np.empty((rows, len(config["categorical"])), dtype=np.int64)
        for k, f in enumerate(config["categorical"]):
            column = frame[f["column"]].fillna("")
            if f["vocab"] is not None:
                # Row 0 is out-of-vocabulary, vocab[i] is row i + 1 (as mtl).
                ids[:, k] = pd.Categorical(column, categories=f["vocab"]).codes.astype(np.int64) + 1
            else:
                ids[:, k] = (pd.util.hash_array(column.to_numpy(dtype=object)) % np.uint64(f["rows"])).astype(np.int64)
        ids = torch.from_numpy(ids)
    labels = []
    for task in config["tasks"]:
        column = frame[task["label"]]
        y = column.isin(task["positives"]) if task["positives"] is not None else column.astype(np.float64)
        labels.append(torch.from_numpy(np.asarray(y, dtype=np.float32)))
    labels = torch.stack(labels, dim=1)
    del frame
    encoded = time.perf_counter()

    # The heads start at their labels' base rates (binary) or means (regression), as mtl's do.
    with torch.no_grad():
        for k, (task, head) in enumerate(zip(config["tasks"], model.heads)):
            mean = labels[:, k].mean().item()
            if task["type"] == "binary":
                mean = min(max(mean, 1e-6), 1 - 1e-6)
                head.bias.fill_(float(np.log(mean / (1 - mean))))
            else:
                head.bias.fill_(mean)

    lr = config["train"]["lr"]
    adam = config["train"]["adam"]
    optimizers = sparse_and_dense_adam(model, model.embedding_parameters(), lr, betas=(adam["beta1"], adam["beta2"]), eps=adam["epsilon"])
    bce = [t["type"] == "binary" for t in config["tasks"]]
    batch = config["train"]["batch"]
    steps = 0
    last_loss = None
    for _ in range(config["train"]["epochs"]):
        order = torch.randperm(rows)
        for start in range(0, rows, batch):
            index = order[start:start + batch]
            x_num = None if numeric is None else numeric.index_select(0, index)
            x_ids = None if ids is None else ids.index_select(0, index)
            y = labels.index_select(0, index)
            for optimizer in optimizers:
                optimizer.zero_grad(set_to_none=True)
            logits = model(x_num, x_ids)
            loss = sum(
                F.binary_cross_entropy_with_logits(l, y[:, k]) if is_bce else F.mse_loss(l, y[:, k])
                for k, (l, is_bce) in enumerate(zip(logits, bce))
            )
            loss.backward()
            for optimizer in optimizers:
                optimizer.step()
            steps += 1
        last_loss = loss.item()
    trained = time.perf_counter()

    torch.save(model.state_dict(), config["out"])
    saved = time.perf_counter()
    ms = lambda a, b: round((b - a) * 1000, 1)
    print(json.dumps({
        "params": params,
        "rows": rows,
        "steps": steps,
        "loss": last_loss,
        "threads": torch.get_num_threads(),
        "phasesMs": {
            "import": ms(started, imported),
            "build": ms(imported, built),
            "read": ms(built, read),
            "encode": ms(read, encoded),
            "train": ms(encoded, trained),
            "save": ms(trained, saved),
        },
    }), flush=True)


if __name__ == "__main__":
    main()
