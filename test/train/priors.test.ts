import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import type { EncodedBatch } from "../../src/data/encode/index.js";
import { estimatePriors, PRIOR_ROWS } from "../../src/train/priors.js";

const SPEC = `model m
feature x : numeric()
input i = concat(*)
tower a = mlp(i, [4])
task ctr   : binary = a label click
task cvr   : binary = a
task ctcvr : binary = ctr * cvr label buy
`;
const ir = compileSource(SPEC, "m.mtl").ir!;

/** Batches of `size` rows whose ctr and ctcvr labels are `at(row)`. */
function batches(rows: number, size: number, at: (row: number) => [number, number]): { batch: EncodedBatch }[] {
  const out: { batch: EncodedBatch }[] = [];
  for (let start = 0; start < rows; start += size) {
    const n = Math.min(size, rows - start);
    const labels = { ctr: new Float32Array(n), ctcvr: new Float32Array(n) };
    for (let i = 0; i < n; i++) [labels.ctr[i], labels.ctcvr[i]] = at(start + i);
    out.push({ batch: { size: n, features: {}, labels, masks: {} } });
  }
  return out;
}

test("the priors are the rates of exactly the first PRIOR_ROWS rows, whatever the batch size, and a latent factor's is its product's over the known factors'", () => {
  // Every 4th row clicks, every 10th buys; the rows after PRIOR_ROWS all do both.
  const at = (row: number): [number, number] => (row >= PRIOR_ROWS ? [1, 1] : [row % 4 === 0 ? 1 : 0, row % 10 === 0 ? 1 : 0]);
  for (const size of [4096, 7, PRIOR_ROWS + 5]) {
    const priors = estimatePriors(ir, batches(PRIOR_ROWS + 5000, size, at));
    assert.equal(priors["ctr"], 0.25, `batches of ${size}`);
    assert.equal(priors["ctcvr"], 0.1, `batches of ${size}`);
    assert.ok(Math.abs(priors["cvr"]! - 0.4) < 1e-12, `batches of ${size}: cvr ${priors["cvr"]}`);
  }
});
