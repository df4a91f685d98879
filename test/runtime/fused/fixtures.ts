/**
 * Shared by the fused step's tests: the example specs, random encoded
 * batches, twin models, and comparisons of losses and states within float
 * rounding. Tables of the 100,000-row benchmark specs are cut to
 * TEST_TABLE_ROWS rows to keep the tests fast (the step's code does not
 * depend on a table's size).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compileSource } from "../../../src/compiler.js";
import type { EncodedBatch } from "../../../src/data/encode/index.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { graphInputs } from "../../../src/ir/blocks.js";
import { buildModel, type BuiltModel } from "../../../src/runtime/graph/build-model.js";
import type { StepLosses, TrainStep } from "../../../src/runtime/graph/train-step.js";
import type { TrainStepState } from "../../../src/runtime/graph/step-state.js";
import { batchTensors, disposeBatch } from "../../../src/train/tensors.js";
import { assertClose } from "../graph/fixtures.js";
import { repoRoot } from "../../helpers/paths.js";
import { seededRandom } from "../../helpers/random.js";

export const TEST_TABLE_ROWS = 2_000;
/** Relative, on losses and on every weight and slot after a few steps. */
export const TOLERANCE = 2e-4;

export function specFiles(): { name: string; path: string }[] {
  const root = repoRoot();
  return ["specs", "bench/train/specs"].flatMap((dir) =>
    readdirSync(join(root, dir))
      .filter((f) => f.endsWith(".mtl"))
      .sort()
      .map((f) => ({ name: `${dir}/${f}`, path: join(root, dir, f) })),
  );
}

export function specIR(path: string): ValidIR {
  const result = compileSource(readFileSync(path, "utf8"), path);
  assert.ok(result.ir !== undefined, result.diagnostics.map((d) => d.message).join("; "));
  const ir = result.ir;
  ir.tables = ir.tables.map((t) => ({ ...t, rows: Math.min(t.rows, TEST_TABLE_ROWS) }));
  return ir;
}

/** Widths that leave every kernel a scalar tail: odd dims (the gather's int32 words), 5 experts of 6, a numeric column first. */
const ODD_WIDTHS = `model odd "odd widths"
feature price : numeric(normalize: zscore)
feature user_id : categorical(buckets: 50, dim: 3)
feature item_id : categorical(buckets: 60, dim: 5)
input x = concat(*)
expert e[5] = mlp(x, [7, 6], activation: relu)
gate g_ctr = softmax(x) over e
gate g_cvr = softmax(x) over e
tower ctr_tower = mlp(g_ctr, [3])
tower cvr_tower = mlp(g_cvr, [3])
task ctr : binary = ctr_tower label click
task cvr : binary = cvr_tower label purchase where click
train {
  optimizer: adam(lr: 0.001)
  batch: 32
  epochs: 1
  seed: 7
}
`;

/** The ODD_WIDTHS model's IR. */
export function oddWidthsIR(): ValidIR {
  return compiled(ODD_WIDTHS, "odd.mtl");
}

/** An MMoE of relu experts with `gates` gates (and tasks) over them. */
export function gatesIR(gates: number): ValidIR {
  const names = Array.from({ length: gates }, (_, i) => `t${i}`);
  const text = [
    `model gates "relu experts, ${gates} gates"`,
    "feature user_id : categorical(buckets: 50, dim: 4)",
    "feature item_id : categorical(buckets: 60, dim: 4)",
    "input x = concat(*)",
    "expert e[3] = mlp(x, [8], activation: relu)",
    ...names.map((t) => `gate g_${t} = softmax(x) over e`),
    ...names.map((t) => `tower ${t}_tower = mlp(g_${t}, [4])`),
    ...names.map((t) => `task ${t} : binary = ${t}_tower label ${t}_label`),
    "train {\n  optimizer: adam(lr: 0.001)\n  batch: 32\n  epochs: 1\n  seed: 7\n}",
    "",
  ].join("\n");
  return compiled(text, "gates.mtl");
}

function compiled(text: string, file: string): ValidIR {
  const result = compileSource(text, file);
  assert.ok(result.ir !== undefined, result.diagnostics.map((d) => d.message).join("; "));
  return result.ir;
}

/** A batch as the encoder makes it: ids in (a tenth of) each table, numbers around 0, 0/1 or real labels, masks with zeros. */
export function randomBatch(ir: ValidIR, size: number, seed: number): EncodedBatch {
  const random = seededRandom(seed);
  const features: EncodedBatch["features"] = {};
  for (const input of graphInputs(ir)) {
    if (input.kind === "numericBlock") {
      features[input.name] = Float32Array.from({ length: size * input.features.length }, () => random() * 2 - 1);
      continue;
    }
    const f = input.feature;
    if (f.kind === "numeric") features[f.name] = Float32Array.from({ length: size }, () => random() * 2 - 1);
    else if (f.kind === "categorical") {
      // A tenth of the rows, so that batches repeat ids and most rows stay untouched.
      const rows = Math.max(1, Math.floor(ir.tables.find((t) => t.name === f.table)!.rows / 10));
      features[f.name] = Int32Array.from({ length: size }, () => Math.floor(random() * rows));
    } else throw new Error("sequence features are not fused");
  }
  return { size, features, ...randomTargets(ir, size, random) };
}

/** Labels of the labelled tasks (0/1, or real), masks with zeros (and weights, with a sample weight) where a task has one. */
export function randomTargets(ir: ValidIR, size: number, random: () => number): Pick<EncodedBatch, "labels" | "masks"> {
  const labels: Record<string, Float32Array> = {};
  const masks: Record<string, Float32Array> = {};
  for (const task of ir.tasks) {
    if (task.label === null) continue;
    labels[task.name] = Float32Array.from({ length: size }, () => (task.type === "binary" ? (random() < 0.3 ? 1 : 0) : random() * 2 - 1));
    if (task.where !== null || task.sampleWeight !== undefined) {
      masks[task.name] = Float32Array.from({ length: size }, () => (random() < 0.4 ? 0 : task.sampleWeight !== undefined ? 0.5 + random() : 1));
    }
  }
  return { labels, masks };
}

/** Two models of `ir` with the same weights. */
export function twins(ir: ValidIR): [BuiltModel, BuiltModel] {
  const a = buildModel(ir);
  const b = buildModel(ir);
  b.trainingModel.setWeights(a.trainingModel.getWeights());
  return [a, b];
}

export function plainRun(step: TrainStep, ir: ValidIR, batch: EncodedBatch): StepLosses {
  const tensors = batchTensors(ir, batch);
  try {
    return step.run(tensors, { scores: true });
  } finally {
    disposeBatch(tensors);
  }
}

export function assertLossesClose(fused: StepLosses, plain: StepLosses, what: string, tolerance = TOLERANCE): void {
  assertClose([fused.total, fused.l2, ...Object.values(fused.perTask)], [plain.total, plain.l2, ...Object.values(plain.perTask)], tolerance, `${what} losses`);
  assert.deepEqual(Object.keys(fused.perTask), Object.keys(plain.perTask));
  for (const [task, scores] of Object.entries(plain.scores ?? {})) assertClose(fused.scores![task]!, scores, tolerance, `${what} scores of ${task}`);
}

export function assertStatesClose(fused: TrainStepState, plain: TrainStepState, what: string, tolerance = TOLERANCE): void {
  assert.equal(fused.steps, plain.steps);
  assert.deepEqual(fused.weights.map((w) => w.name), plain.weights.map((w) => w.name));
  fused.weights.forEach((w, i) => assertClose(w.values, plain.weights[i]!.values, tolerance, `${what}: weight ${w.name}`));
  // Slot names carry their variable's process-unique name (kernel_7/m): equal up to that suffix.
  const slotName = (name: string) => name.replace(/_\d+\/([mv])$/, "/$1");
  assert.deepEqual(fused.optimizer.map((w) => slotName(w.name)), plain.optimizer.map((w) => slotName(w.name)));
  fused.optimizer.forEach((w, i) => assertClose(w.values, plain.optimizer[i]!.values, tolerance, `${what}: optimizer ${w.name}`));
  assert.deepEqual(fused.sparse.map((s) => s.table), plain.sparse.map((s) => s.table));
  fused.sparse.forEach((s, i) => s.slots.forEach((slot, k) => assertClose(slot, plain.sparse[i]!.slots[k]!, tolerance, `${what}: table ${s.table} slot ${k}`)));
}

/** An array's values as their float32 (or int32) bits. */
export const bits = (a: Float32Array | Int32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** Every number of a step's state as its float32 bits, by where it lives. */
export function bitsOf(state: TrainStepState): Record<string, number[]> {
  return Object.fromEntries([
    ...state.weights.map((w) => [`weight ${w.name}`, bits(w.values)]),
    ...state.optimizer.map((w, i) => [`optimizer ${i}`, bits(w.values)]),
    ...state.sparse.flatMap((s) => s.slots.map((slot, i) => [`table ${s.table} slot ${i}`, bits(slot)])),
  ]);
}

/** Every weight, optimiser slot and table slot of the two steps, bit for bit; then both are disposed, with every variable. */
export async function assertSameStateBits(got: TrainStep, want: TrainStep): Promise<void> {
  const [a, b] = [bitsOf(await got.exportState()), bitsOf(await want.exportState())];
  assert.deepEqual(Object.keys(a), Object.keys(b));
  for (const [key, values] of Object.entries(b)) assert.deepEqual(a[key], values, key);
  got.dispose();
  want.dispose();
  tf.disposeVariables();
}
