import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../../../src/compiler.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { computeLoss } from "../../../src/runtime/loss/compute-loss.js";
import { calibratorTerms } from "../../../src/runtime/loss/calibrator.js";
import type { TaskOutputs } from "../../../src/runtime/loss/types.js";
import { useCpu } from "../graph/fixtures.js";

before(useCpu);

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const bce = (y: number, p: number) => -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** impression -> click -> purchase, purchase trained on clicked rows only: the calibrator still covers every row. */
function funnelIR(calibrate: string): ValidIR {
  const result = compileSource(
    `model funnel
feature price : numeric()
tower t1 = mlp(price, [2])
tower t2 = mlp(price, [2])
task ctr : binary = t1 label click
task buy : binary = t2 label purchase where click after ctr ${calibrate}
`,
    "funnel.mtl",
  );
  assert.ok(result.ir, result.diagnostics.map((d) => d.message).join("; "));
  return result.ir;
}

const CTR = [0.5, -1, 2, 0.1];
const BUY = [1.5, -2, 1, 0.1];
const CLICK = [1, 0, 1, 0];
const PURCHASE = [1, 0, 0, 0];

function outputs(): TaskOutputs {
  const logits = { ctr: tf.tensor2d(CTR, [4, 1]), buy: tf.tensor2d(BUY, [4, 1]) };
  return { logits, values: { ctr: tf.sigmoid(logits.ctr), buy: tf.sigmoid(logits.buy) } };
}

test("the calibrator adds alpha * mean over every row of max(p_buy - p_ctr, 0), by hand", () => {
  const ir = funnelIR("calibrate 0.6");
  assert.deepEqual(ir.tasks.find((t) => t.name === "buy")!.transfer, { from: "ctr", calibrate: 0.6 });
  // Only row 0 has p_buy > p_ctr (logits 1.5 > 0.5); row 3 ties: nothing.
  const excess = CTR.map((c, i) => Math.max(sigmoid(BUY[i]!) - sigmoid(c), 0));
  assert.ok(excess[0]! > 0 && excess.slice(1).every((e) => e === 0), "the batch has one row above its predecessor");
  const calibrator = 0.6 * mean(excess);
  tf.tidy(() => {
    const [term] = calibratorTerms(ir, outputs());
    assert.ok(Math.abs(term!.dataSync()[0]! - calibrator) < 1e-7, `${term!.dataSync()[0]} vs ${calibrator}`);
    // The task losses are unchanged; the total adds the calibrator (buy's BCE on clicked rows only).
    const labels = { ctr: tf.tensor1d(CLICK), buy: tf.tensor1d(PURCHASE) };
    const loss = computeLoss(ir, outputs(), { labels, masks: { buy: tf.tensor1d(CLICK) } });
    const ctrLoss = mean(CTR.map((l, i) => bce(CLICK[i]!, sigmoid(l))));
    const buyLoss = mean([0, 2].map((i) => bce(PURCHASE[i]!, sigmoid(BUY[i]!))));
    assert.ok(Math.abs(loss.perTask["ctr"]!.dataSync()[0]! - ctrLoss) < 1e-6);
    assert.ok(Math.abs(loss.perTask["buy"]!.dataSync()[0]! - buyLoss) < 1e-6);
    assert.ok(Math.abs(loss.total.dataSync()[0]! - (ctrLoss + buyLoss + calibrator)) < 1e-6, `total ${loss.total.dataSync()[0]}`);
  });
});

test("the calibrator's gradient pushes the later step down and the earlier one up, on the offending rows only", () => {
  const ir = funnelIR("calibrate 2");
  const [ctr, buy] = [tf.tensor1d(CTR), tf.tensor1d(BUY)];
  const grads = tf.grads((c: tf.Tensor, b: tf.Tensor) => {
    const [term] = calibratorTerms(ir, { logits: { ctr: c, buy: b }, values: { ctr: tf.sigmoid(c), buy: tf.sigmoid(b) } });
    return term!;
  })([ctr, buy]);
  const [dCtr, dBuy] = grads.map((g) => Array.from(g!.dataSync()));
  // d/dl_buy of 2/4 * (sigmoid(l_buy) - sigmoid(l_ctr)) on row 0: 0.5 * s(1 - s).
  const ds = (l: number) => sigmoid(l) * (1 - sigmoid(l));
  assert.ok(Math.abs(dBuy![0]! - 0.5 * ds(BUY[0]!)) < 1e-7 && Math.abs(dCtr![0]! + 0.5 * ds(CTR[0]!)) < 1e-7, `${dBuy} ${dCtr}`);
  assert.deepEqual([...dBuy!.slice(1), ...dCtr!.slice(1)].map(Math.abs), [0, 0, 0, 0, 0, 0]);
});

test("without 'calibrate', or with 'calibrate 0', the transfer adds no term", () => {
  for (const clause of ["", "calibrate 0"]) {
    const ir = funnelIR(clause);
    assert.equal(ir.tasks.find((t) => t.name === "buy")!.transfer?.calibrate, 0);
    tf.tidy(() => assert.deepEqual(calibratorTerms(ir, outputs()), []));
  }
});
