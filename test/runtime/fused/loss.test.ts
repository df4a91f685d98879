/**
 * FusedLoss (loss.ts) computes, loop by loop, what its earlier row-by-row
 * form computed: the same expressions in the same order, so the losses and
 * every gradient it seeds are the same bits. The reference below is that
 * earlier form, kept here as the oracle (the agreement tests compare both
 * with the plain path only within float tolerance).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TaskIR } from "../../../src/ir/types.js";
import { logitLeaves } from "../../../src/runtime/loss/compute-loss.js";
import { Buf } from "../../../src/runtime/fused/buffers.js";
import { FusedLoss, type LossValues } from "../../../src/runtime/fused/loss.js";
import { seededRandom } from "../../helpers/random.js";
import { randomTargets, specFiles, specIR } from "./fixtures.js";

const logSigmoid = (x: number) => Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));

/** The row-by-row FusedLoss.run this module replaced, verbatim but for the class around it. */
function referenceRun(
  tasks: readonly TaskIR[],
  bufOf: (tensor: string) => Buf,
  logits: Record<string, string>,
  outputs: Record<string, string>,
  rows: number,
  labels: Record<string, ArrayLike<number>>,
  masks: Record<string, ArrayLike<number>> | undefined,
): LossValues {
  const terms = tasks
    .filter((task) => task.label !== null)
    .map((task) => ({
      task,
      reads: task.loss.type === "bce" ? logitLeaves([...tasks], task).map((t) => bufOf(logits[t]!)) : [bufOf(outputs[task.name]!)],
    }));
  const most = Math.max(1, ...terms.map((t) => t.reads.length));
  const logS = new Float64Array(most);
  const log1mS = new Float64Array(most);
  const derivative = Array.from({ length: most }, () => new Float64Array(rows));
  const rowLoss = new Float64Array(rows);
  const row = (task: TaskIR, reads: readonly Buf[], i: number, y: number): number => {
    const d = derivative;
    switch (task.loss.type) {
      case "bce": {
        if (reads.length === 1) {
          const l = reads[0]!.value[i]!;
          d[0]![i] = 1 / (1 + Math.exp(-l)) - y;
          return Math.max(l, 0) - l * y + Math.log1p(Math.exp(-Math.abs(l)));
        }
        const k = reads.length;
        let logP = 0;
        for (let j = 0; j < k; j++) {
          const l = reads[j]!.value[i]!;
          logS[j] = logSigmoid(l);
          log1mS[j] = logSigmoid(-l);
          logP += logS[j]!;
        }
        let prefix = 0;
        let max = -Infinity;
        for (let j = 0; j < k; j++) {
          max = Math.max(max, prefix + log1mS[j]!);
          prefix += logS[j]!;
        }
        let sum = 0;
        prefix = 0;
        for (let j = 0; j < k; j++) {
          sum += Math.exp(prefix + log1mS[j]! - max);
          prefix += logS[j]!;
        }
        const log1mP = max + Math.log(sum);
        const odds = Math.exp(logP - log1mP);
        for (let j = 0; j < k; j++) d[j]![i] = Math.exp(log1mS[j]!) * ((1 - y) * odds - y);
        return -(y * logP + (1 - y) * log1mP);
      }
      case "mse": {
        const e = reads[0]!.value[i]! - y;
        d[0]![i] = 2 * e;
        return e * e;
      }
      case "huber": {
        const delta = task.loss.delta;
        const e = reads[0]!.value[i]! - y;
        const abs = Math.abs(e);
        const q = Math.min(abs, delta);
        d[0]![i] = abs <= delta ? e : delta * Math.sign(e);
        return 0.5 * q * q + delta * (abs - q);
      }
    }
  };
  const perTask: Record<string, number> = {};
  let weighted = 0;
  for (const { task, reads } of terms) {
    const y = labels[task.name]!;
    const mask = masks?.[task.name];
    for (let i = 0; i < rows; i++) rowLoss[i] = Math.fround(row(task, reads, i, y[i]!));
    let weight = 0;
    if (mask === undefined) weight = rows;
    else for (let i = 0; i < rows; i++) if (mask[i]! > 0) weight += mask[i]!;
    let total = 0;
    const scale = weight > 0 ? task.weight / weight : 0;
    for (let i = 0; i < rows; i++) {
      const m = mask === undefined ? 1 : mask[i]! > 0 ? mask[i]! : 0;
      if (m !== 0) total = Math.fround(total + Math.fround(m * rowLoss[i]!));
      const c = scale * m;
      reads.forEach((buf, k) => {
        const g = buf.grad!;
        const d = m === 0 ? 0 : c * derivative[k]![i]!;
        g[i] = buf.gradSet ? g[i]! + d : d;
      });
    }
    for (const buf of reads) buf.gradSet = true;
    const mean = Math.fround(weight > 0 ? total / weight : 0);
    perTask[task.name] = mean;
    weighted = Math.fround(weighted + Math.fround(task.weight * mean));
  }
  return { weighted, perTask };
}

/** Mostly moderate logits and outputs, some far out (saturated sigmoids, huber's linear part), some exact zeros. */
function values(rows: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: rows }, (_, i) => (i % 13 === 0 ? 0 : i % 7 === 0 ? (random() - 0.5) * 80 : (random() - 0.5) * 6));
}

/** Bufs of width 1 by tensor name, seeded by the name's order of first use; some start with a gradient another reader wrote. */
function bufs(rows: number): { bufOf: (name: string) => Buf; all: Map<string, Buf> } {
  const all = new Map<string, Buf>();
  const bufOf = (name: string) => {
    let buf = all.get(name);
    if (buf === undefined) {
      buf = new Buf(name, 1, true);
      buf.allocate(rows, true);
      buf.value.set(values(rows, 100 + all.size));
      buf.grad!.set(values(rows, 200 + all.size));
      buf.gradSet = all.size % 2 === 1;
      all.set(name, buf);
    }
    return buf;
  };
  return { bufOf, all };
}

for (const spec of specFiles()) {
  test(`FusedLoss gives the previous row-by-row losses and gradients bit for bit: ${spec.name}`, () => {
    const ir = specIR(spec.path);
    const rows = 203;
    const logits = Object.fromEntries(ir.tasks.map((t) => [t.name, `${t.name}/logit`]));
    const outputs = Object.fromEntries(ir.tasks.map((t) => [t.name, `${t.name}/output`]));
    const batch = randomTargets(ir, rows, seededRandom(5));
    // With the batch's masks (zeros and sample weights where the spec has them), and without any.
    for (const masks of [batch.masks, undefined]) {
      const fused = bufs(rows);
      const reference = bufs(rows);
      const loss = new FusedLoss(ir.tasks, fused.bufOf, logits, outputs);
      loss.allocate(rows);
      // Created in the same order by both, so each name's seeds agree.
      const expected = referenceRun(ir.tasks, reference.bufOf, logits, outputs, rows, batch.labels, masks);
      if (masks === undefined && ir.tasks.some((t) => t.where !== null || t.sampleWeight !== undefined)) {
        assert.throws(() => loss.run(rows, batch.labels, masks), /has .*but the batch has no mask/);
        continue;
      }
      const got = loss.run(rows, batch.labels, masks);
      assert.ok(Number.isFinite(got.weighted), `${spec.name}: a finite loss`);
      assert.ok(Object.is(got.weighted, expected.weighted), `${spec.name}: weighted ${got.weighted} vs ${expected.weighted}`);
      assert.deepEqual(Object.keys(got.perTask), Object.keys(expected.perTask));
      for (const [task, value] of Object.entries(expected.perTask)) assert.ok(Object.is(got.perTask[task], value), `${spec.name}: task ${task}`);
      assert.deepEqual([...fused.all.keys()], [...reference.all.keys()]);
      for (const [name, buf] of reference.all) {
        const mine = fused.all.get(name)!;
        assert.equal(mine.gradSet, buf.gradSet, `${name}: gradSet`);
        assert.deepEqual(mine.grad, buf.grad, `${spec.name}: gradient of ${name}`);
      }
    }
  });
}
