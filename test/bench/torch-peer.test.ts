/**
 * The PyTorch peer's two forms (bench/train/torch_peer.py) compute the same
 * network: the best-practice form (sparse embeddings + SparseAdam) gives the
 * same loss and gradients as the library default for the same weights, and
 * its steps touch only the table rows a batch reads, while the default's
 * dense Adam moves rows no batch read (the cost the benchmark used to hide).
 * At more than one thread the peer picks its faster intra-op thread count.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { torchPeerScript } from "../../bench/train/paths.js";
import type { PeerShape } from "../../bench/train/peer-shape.js";
import { startTorchPeer } from "../../bench/train/torch-peer.js";
import { torchOrSkip } from "../codegen/torch/torch-helpers.js";

const PROBE = `
import json, sys
import torch
sys.path.insert(0, sys.argv[1])
import torch_peer as peer

shape = {"architecture": sys.argv[2], "numeric": 0, "categorical": {"count": 3, "buckets": 50, "dim": 4},
         "userFeatures": 1, "experts": 2, "expertUnits": [8, 6], "tasks": 2, "towerUnits": [5],
         "lr": 0.01, "batch": 16, "servingRows": 4, "throughputRows": 8}
torch.manual_seed(1)
dense = peer.Workload(shape, 3, "default")
sparse = peer.Workload(shape, 3, "sparse")
sparse.model.load_state_dict(dense.model.state_dict())
tables = lambda w: [t.weight.detach().clone() for t in w.model.inputs.embeddings]
numeric, ids, labels = dense.batches[0]

def loss_and_grads(w):
    w.model.zero_grad(set_to_none=True)
    loss = w.model.loss(w.model(numeric, ids), labels)
    loss.backward()
    grads = [p.grad.to_dense() for p in w.model.parameters()]
    w.model.zero_grad(set_to_none=True)
    return loss.item(), grads

dense_loss, dense_grads = loss_and_grads(dense)
sparse_loss, sparse_grads = loss_and_grads(sparse)
grad_gap = max((a - b).abs().max().item() for a, b in zip(dense_grads, sparse_grads))

before = {"default": tables(dense), "sparse": tables(sparse)}
read = [set(ids[:, k].tolist()) for k in range(3)]
for w in (dense, sparse):
    w.train(2)  # batches 0 and 1: Adam's momentum moves rows of batch 0 again at step 2
for b in (0, 1):
    for k in range(3):
        read[k] |= set(dense.batches[b][1][:, k].tolist())
unread_moved = {}
for name, w in (("default", dense), ("sparse", sparse)):
    moved = 0
    for k, (old, new) in enumerate(zip(before[name], tables(w))):
        changed = (old != new).any(dim=1).nonzero().flatten().tolist()
        moved += len([r for r in changed if r not in read[k]])
    unread_moved[name] = moved
only_first = [set(dense.batches[0][1][:, k].tolist()) - set(dense.batches[1][1][:, k].tolist()) for k in range(3)]
# Rows batch 0 read and batch 1 did not: lazy Adam leaves them alone at step 2, dense Adam's momentum moves them.
after_one = {}
for name in ("default", "sparse"):
    w = peer.Workload(shape, 3, name)
    w.model.load_state_dict(dense.model.state_dict())
    w.train(1)
    mid = tables(w)
    w.train(1)
    after_one[name] = sum(int((mid[k][sorted(only_first[k])] != tables(w)[k][sorted(only_first[k])]).any(dim=1).sum()) for k in range(3))
print(json.dumps({"dense": dense_loss, "sparse": sparse_loss, "gradGap": grad_gap,
                  "sparseGradIsSparse": sparse.model.inputs.embeddings[0].sparse,
                  "optimizers": [type(o).__name__ for o in sparse.optimizers],
                  "unreadMoved": unread_moved, "step2MovedBatch0Only": after_one,
                  "batch0OnlyRows": sum(len(s) for s in only_first)}))
`;

function probe(python: string, architecture: string): Record<string, any> {
  const run = spawnSync(python, ["-c", PROBE, dirname(torchPeerScript()), architecture], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: "1" },
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

for (const architecture of ["mmoe", "esmm"]) {
  test(`${architecture}: the sparse form is the default's math, updating only the rows a batch reads`, { timeout: 90_000 }, (t) => {
    const python = torchOrSkip(t);
    if (python === null) return;
    const r = probe(python, architecture);
    assert.ok(Number.isFinite(r["dense"]) && r["dense"] > 0);
    assert.ok(Math.abs(r["dense"] - r["sparse"]) <= 1e-6 * Math.abs(r["dense"]), `${r["dense"]} vs ${r["sparse"]}`);
    assert.ok(r["gradGap"] <= 1e-6, `gradients differ by ${r["gradGap"]}`);
    assert.equal(r["sparseGradIsSparse"], true);
    assert.deepEqual(r["optimizers"], ["SparseAdam", "Adam"]);
    // Rows no batch read: neither form moves them in two steps from zero moments.
    assert.deepEqual(r["unreadMoved"], { default: 0, sparse: 0 });
    // Rows batch 0 read and batch 1 did not: only dense Adam moves them at step 2.
    assert.ok(r["batch0OnlyRows"] > 0);
    assert.equal(r["step2MovedBatch0Only"]["sparse"], 0);
    assert.equal(r["step2MovedBatch0Only"]["default"], r["batch0OnlyRows"]);
  });
}

const SERVING_PROBE = `
import json, sys
import numpy as np
import torch
sys.path.insert(0, sys.argv[1])
import torch_peer as peer

shape = {"architecture": "mmoe", "numeric": 0, "categorical": {"count": 4, "buckets": 50, "dim": 3},
         "userFeatures": 2, "experts": 3, "expertUnits": [8, 6], "tasks": 2, "towerUnits": [5],
         "lr": 0.01, "batch": 16, "servingRows": 7, "throughputRows": 9}
torch.manual_seed(1)
w = peer.Workload(shape, 3, "sparse")
w.model.eval()
request = w.requests[0][1]
batch = w.big_batch[1]
with torch.inference_mode():
    plain = [t.numpy() for t in w.model(None, torch.from_numpy(request))]
    split = [t.numpy() for t in w.repeated.forward(torch.from_numpy(request))]
print(json.dumps({"gap": max(float(np.abs(a - b).max()) for a, b in zip(plain, split)),
                  "requestApplies": w.repeated.applies(None, request), "batchApplies": w.repeated.applies(None, batch),
                  "defaultHasNone": peer.Workload(shape, 3, "default").repeated is None,
                  "esmmHasNone": peer.Workload({**shape, "architecture": "esmm", "towerUnits": [5, 4]}, 3, "sparse").repeated is None}))
`;

test("serving: the best-practice form's one-user forward (RepeatedUser) scores a request as the plain forward does", { timeout: 90_000 }, (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  const run = spawnSync(python, ["-c", SERVING_PROBE, dirname(torchPeerScript())], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: "1" },
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const r = JSON.parse(run.stdout);
  assert.ok(r.gap <= 1e-5, `split forward differs by ${r.gap}`);
  assert.equal(r.requestApplies, true);
  assert.equal(r.batchApplies, false, "a batch of many users is not split");
  assert.equal(r.defaultHasNone, true);
  assert.equal(r.esmmHasNone, true);
});

test("at two threads the peer keeps whichever intra-op thread count ran its rounds faster, and trains on with it", { timeout: 120_000 }, async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  const { child } = await startTorchPeer({ python, threads: 2, timeoutMs: 60_000 });
  try {
    const shape = {
      architecture: "mmoe", numeric: 0, categorical: { count: 3, buckets: 50, dim: 4 }, userFeatures: 1, experts: 2,
      expertUnits: [8, 6], tasks: 2, towerUnits: [5], lr: 0.01, batch: 16, servingRows: 4, throughputRows: 8,
    } as unknown as PeerShape;
    const setup = await child.request({ cmd: "setup", threads: 2, seed: 7, workload: shape, form: "sparse" });
    assert.equal(setup.threads, 2);
    const choice = await child.request({ cmd: "threads", threads: 2, kind: "train", units: 3 });
    const rounds = choice.roundMs!;
    assert.deepEqual(Object.keys(rounds).sort(), ["1", "2"]);
    assert.ok(rounds["1"]! > 0 && rounds["2"]! > 0);
    assert.equal(choice.threads, rounds["1"]! <= rounds["2"]! ? 1 : 2);
    const after = await child.request({ cmd: "train", steps: 2 });
    assert.equal(after.stepMs?.length, 2);
    assert.ok(Number.isFinite(after.loss));
  } finally {
    await child.close();
  }
});
