import { IR_VERSION } from "../../../src/ir/version.js";
/**
 * Small hand-built IRs for the runtime tests (there is no parser yet), one per
 * architecture, sharing four features: two categorical, a sequence over the
 * item table and a numeric column.
 */
import * as tf from "@tensorflow/tfjs";
import type {
  Activation,
  FeatureIR,
  GateNodeIR,
  MlpNodeIR,
  ValidIR,
  NodeIR,
  TaskIR,
  TrainIR,
} from "../../../src/ir/types.js";
import { withEvaluation } from "../../../src/ir/evaluation.js";
import { assertValidIr } from "../../../src/ir/validate.js";
import { seededRandom } from "../../helpers/random.js";

export const USER_ROWS = 10;
export const ITEM_ROWS = 12;
export const EMB_DIM = 4;
export const HIST_LEN = 3;
export const INPUT_WIDTH = 3 * EMB_DIM + 1;

export function features(pool: "mean" | "sum" | "max" = "mean"): FeatureIR[] {
  return [
    { kind: "categorical", name: "user", column: "user_id", encoding: { type: "hash", buckets: USER_ROWS }, table: "user" },
    {
      kind: "categorical",
      name: "item",
      column: "item_id",
      encoding: { type: "vocab", vocab: Array.from({ length: ITEM_ROWS - 1 }, (_, i) => `i${i}`) },
      table: "item",
    },
    { kind: "sequence", name: "hist", column: "history", of: "item", table: "item", maxLen: HIST_LEN, pool, sep: "|" },
    { kind: "numeric", name: "price", column: "price", transform: "log1p", normalize: "zscore", fill: "mean" },
  ];
}

export const inputConcat = (): NodeIR => ({
  op: "concat",
  name: "input",
  role: "input",
  inputs: ["user", "item", "hist", "price"],
});

export function train(over: Partial<TrainIR> = {}): TrainIR {
  return {
    optimizer: { type: "adam", lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    batch: 8,
    epochs: 1,
    weighting: "fixed",
    seed: 42,
    l2: 0,
    ...over,
  };
}

/** Through the gate, as every IR a back end sees; each task's evaluation resolved as lowering resolves it. */
export function modelIR(name: string, nodes: NodeIR[], tasks: TaskIR[], over: Partial<ValidIR> = {}): ValidIR {
  return assertValidIr({
    irVersion: IR_VERSION,
    model: { name },
    data: { format: "csv", header: true, delimiter: ",", trim: false, missing: [""], columns: null },
    features: features(),
    numericBlocks: [],
    tables: [
      { name: "user", rows: USER_ROWS, dim: EMB_DIM },
      { name: "item", rows: ITEM_ROWS, dim: EMB_DIM },
    ],
    nodes: [inputConcat(), ...nodes],
    tasks: withEvaluation(tasks),
    train: train(),
    ...over,
  });
}

export interface MlpOptions {
  count?: number;
  activation?: Activation;
  dropout?: number;
  batchNorm?: boolean;
}

export function mlp(role: "expert" | "tower", name: string, input: string, units: number[], o: MlpOptions = {}): MlpNodeIR {
  return {
    op: "mlp",
    name,
    role,
    count: o.count ?? 1,
    input,
    units,
    activation: o.activation ?? "relu",
    dropout: o.dropout ?? 0,
    batchNorm: o.batchNorm ?? false,
    init: "glorot_uniform",
  };
}

export function gate(name: string, input: string, experts: string[], numExperts: number): GateNodeIR {
  return { op: "gate", name, role: "gate", input, experts, numExperts, init: "glorot_uniform" };
}

export function binaryTask(name: string, input: string, label: string | null, over: Partial<TaskIR> = {}): TaskIR {
  return {
    name,
    type: "binary",
    head: { op: "dense", input },
    label: label === null ? null : { column: label, positives: null },
    where: null,
    evaluation: null,
    weight: 1,
    loss: { type: "bce" },
    ...over,
  };
}

export function regressionTask(name: string, input: string, label: string | null, over: Partial<TaskIR> = {}): TaskIR {
  return {
    name,
    type: "regression",
    head: { op: "dense", input },
    label: label === null ? null : { column: label, positives: null },
    where: null,
    evaluation: null,
    weight: 1,
    loss: { type: "mse" },
    ...over,
  };
}

export function productTask(name: string, type: "binary" | "regression", factors: string[], label: string | null, over: Partial<TaskIR> = {}): TaskIR {
  return {
    name,
    type,
    head: { op: "product", factors },
    label: label === null ? null : { column: label, positives: null },
    where: null,
    evaluation: null,
    weight: 1,
    loss: type === "binary" ? { type: "bce" } : { type: "mse" },
    ...over,
  };
}

export function sharedBottomIR(o: MlpOptions = {}): ValidIR {
  return modelIR(
    "shared_bottom",
    [mlp("expert", "bottom", "input", [8, 6], o), mlp("tower", "ctr_tower", "bottom", [4], o), mlp("tower", "gmv_tower", "bottom", [4], o)],
    [binaryTask("ctr", "ctr_tower", "click"), regressionTask("gmv", "gmv_tower", "gmv")],
  );
}

export function omoeIR(): ValidIR {
  return modelIR(
    "omoe",
    [
      mlp("expert", "experts", "input", [6], { count: 3 }),
      gate("g", "input", ["experts"], 3),
      mlp("tower", "ctr_tower", "g", [4]),
      mlp("tower", "cvr_tower", "g", [4], { activation: "tanh" }),
    ],
    [binaryTask("ctr", "ctr_tower", "click"), binaryTask("cvr", "cvr_tower", "buy")],
  );
}

export function mmoeIR(): ValidIR {
  return modelIR(
    "mmoe",
    [
      mlp("expert", "experts", "input", [8, 6], { count: 3 }),
      gate("g_ctr", "input", ["experts"], 3),
      gate("g_cvr", "input", ["experts"], 3),
      mlp("tower", "ctr_tower", "g_ctr", [4]),
      mlp("tower", "cvr_tower", "g_cvr", [4]),
    ],
    [binaryTask("ctr", "ctr_tower", "click"), binaryTask("cvr", "cvr_tower", "buy")],
  );
}

/** Two CGC levels: level 2's experts read level 1's gates. */
export function pleIR(): ValidIR {
  return modelIR(
    "ple",
    [
      mlp("expert", "e1_ctr", "input", [6], { count: 2 }),
      mlp("expert", "e1_cvr", "input", [6], { count: 2 }),
      mlp("expert", "e1_shared", "input", [6], { count: 2 }),
      gate("g1_ctr", "input", ["e1_ctr", "e1_shared"], 4),
      gate("g1_cvr", "input", ["e1_cvr", "e1_shared"], 4),
      gate("g1_shared", "input", ["e1_ctr", "e1_cvr", "e1_shared"], 6),
      mlp("expert", "e2_ctr", "g1_ctr", [5], { count: 2 }),
      mlp("expert", "e2_cvr", "g1_cvr", [5], { count: 1 }),
      mlp("expert", "e2_shared", "g1_shared", [5], { count: 2 }),
      gate("g2_ctr", "g1_ctr", ["e2_ctr", "e2_shared"], 4),
      gate("g2_cvr", "g1_cvr", ["e2_cvr", "e2_shared"], 3),
      mlp("tower", "ctr_tower", "g2_ctr", [4]),
      mlp("tower", "cvr_tower", "g2_cvr", [4]),
    ],
    [binaryTask("ctr", "ctr_tower", "click"), binaryTask("cvr", "cvr_tower", "buy")],
  );
}

/**
 * ESMM over a shared bottom: cvr is latent, ctcvr = ctr * cvr is trained on
 * click AND buy, and egmv = ctcvr * gmv is a binary x regression expectation.
 */
export function esmmIR(o: MlpOptions = {}): ValidIR {
  return modelIR(
    "esmm",
    [
      mlp("expert", "bottom", "input", [8], o),
      mlp("tower", "ctr_tower", "bottom", [4], o),
      mlp("tower", "cvr_tower", "bottom", [4], o),
      mlp("tower", "gmv_tower", "bottom", [4], o),
    ],
    [
      binaryTask("ctr", "ctr_tower", "click"),
      binaryTask("cvr", "cvr_tower", null),
      productTask("ctcvr", "binary", ["ctr", "cvr"], "click_and_buy"),
      regressionTask("gmv", "gmv_tower", "gmv", { where: { column: "buy", positives: null, task: null }, loss: { type: "huber", delta: 1 } }),
      productTask("egmv", "regression", ["ctcvr", "gmv"], null),
    ],
  );
}

export const ARCHITECTURES: Record<string, () => ValidIR> = {
  "shared-bottom": () => sharedBottomIR(),
  omoe: omoeIR,
  mmoe: mmoeIR,
  "ple (2 levels)": pleIR,
  esmm: () => esmmIR(),
};

/** A deterministic PRNG, so test data never depends on Math.random. */
export const prng = seededRandom;

export interface RawBatch {
  user: number[];
  item: number[];
  /** Padded with -1; some rows are entirely padding. */
  hist: number[][];
  price: number[];
}

export function rawBatch(size: number, seed = 1): RawBatch {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const hist = Array.from({ length: size }, (_, r) => {
    const len = r % 4 === 3 ? 0 : 1 + int(HIST_LEN);
    return Array.from({ length: HIST_LEN }, (_, j) => (j < len ? int(ITEM_ROWS) : -1));
  });
  return {
    user: Array.from({ length: size }, () => int(USER_ROWS)),
    item: Array.from({ length: size }, () => int(ITEM_ROWS)),
    hist,
    price: Array.from({ length: size }, () => rand() * 4 - 2),
  };
}

/** The encoder's tensors: [batch, 1] ids and values, [batch, maxLen] sequences. */
export function inputTensors(raw: RawBatch): Record<string, tf.Tensor> {
  const n = raw.user.length;
  return {
    user: tf.tensor2d(raw.user, [n, 1], "int32"),
    item: tf.tensor2d(raw.item, [n, 1], "int32"),
    hist: tf.tensor2d(raw.hist, [n, HIST_LEN], "int32"),
    price: tf.tensor2d(raw.price, [n, 1], "float32"),
  };
}

export async function useCpu(): Promise<void> {
  await tf.setBackend("cpu");
  await tf.ready();
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(a) || Math.abs(a - e) > tol * Math.max(1, Math.abs(e))) {
      throw new Error(`${what}[${i}]: got ${a}, expected ${e} (tolerance ${tol})`);
    }
  }
}
