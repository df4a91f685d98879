/**
 * The intermediate representation: everything a back end needs to build,
 * train and serve a model, and nothing of the surface syntax.
 *
 * The JSON Schema in grammar/mtl-ir.schema.json describes exactly these types;
 * every IR the compiler emits is validated against it (src/ir/validate.ts).
 * Bump IR_VERSION whenever a back end would read an older IR differently.
 */
export const IR_VERSION = 2;

export interface ModelIR {
  irVersion: typeof IR_VERSION;
  model: { name: string; description?: string; doc?: string };
  data: DataIR;
  features: FeatureIR[];
  /** Embedding tables; sequences share the table of the feature they are `of`. */
  tables: TableIR[];
  /** Network nodes in a topological order: every input precedes its user. */
  nodes: NodeIR[];
  /** Tasks in a topological order: a product task follows its factors. */
  tasks: TaskIR[];
  train: TrainIR;
}

export interface DataIR {
  format: "csv" | "jsonl" | "parquet";
  /** CSV only: whether the first row names the columns. */
  header: boolean;
  delimiter: string;
  /** Strip blanks around every field (the census file pads fields). */
  trim: boolean;
  /** Field values that mean "missing". */
  missing: string[];
  /** Column names in file order for files without a header; null otherwise. */
  columns: string[] | null;
}

export type FeatureIR = CategoricalFeatureIR | NumericFeatureIR | SequenceFeatureIR;

interface FeatureBase {
  name: string;
  /** The data column this feature reads. */
  column: string;
  /** Output width after embedding or transformation. */
  width: number;
  doc?: string;
}

/** Hashed ids: a stable hash modulo `buckets`. Vocabularies: index 0 is the out-of-vocabulary row. */
export type CategoricalEncodingIR =
  | { type: "hash"; buckets: number }
  | { type: "vocab"; vocab: string[] };

export interface CategoricalFeatureIR extends FeatureBase {
  kind: "categorical";
  encoding: CategoricalEncodingIR;
  /** Name of the embedding table in `tables`. */
  table: string;
}

export interface NumericFeatureIR extends FeatureBase {
  kind: "numeric";
  transform: "none" | "log1p" | "sqrt";
  normalize: "none" | "zscore" | "minmax";
  /** What a missing value becomes, before the transform: the training mean, or zero. */
  fill: "mean" | "zero";
}

export interface SequenceFeatureIR extends FeatureBase {
  kind: "sequence";
  /** The categorical feature whose encoding and table the items share. */
  of: string;
  table: string;
  maxLen: number;
  pool: "mean" | "sum" | "max";
  /** Separator between items inside one field. */
  sep: string;
}

export interface TableIR {
  name: string;
  /** Rows: hash buckets, or vocabulary size + 1 for the out-of-vocabulary row. */
  rows: number;
  dim: number;
}

export type NodeIR = ConcatNodeIR | MlpNodeIR | GateNodeIR;

export type Activation = "relu" | "tanh" | "sigmoid" | "elu" | "selu" | "gelu" | "swish" | "linear";

/**
 * How a network's or gate's dense layers are initialised (the `init` option;
 * src/plan/layer-plan.ts gives each its distributions). Absent in IRs written
 * before the option existed, which were all initialised glorot_uniform.
 */
export type InitIR = "torch" | "glorot_uniform" | "he_uniform" | "lecun_uniform";

export interface ConcatNodeIR {
  op: "concat";
  name: string;
  role: "input";
  /** Features or nodes, in order. */
  inputs: string[];
  width: number;
  doc?: string;
}

export interface MlpNodeIR {
  op: "mlp";
  name: string;
  role: "expert" | "tower";
  /** A group of `count` experts of one shape; 1 for a single network. */
  count: number;
  input: string;
  units: number[];
  activation: Activation;
  dropout: number;
  batchNorm: boolean;
  init?: InitIR;
  width: number;
  doc?: string;
}

export interface GateNodeIR {
  op: "gate";
  name: string;
  role: "gate";
  /** The gate reads `input` and mixes the experts: softmax(W input) · [f_1 .. f_n]. */
  input: string;
  /** Expert groups mixed, in order; the gate has one weight per expert across all groups. */
  experts: string[];
  numExperts: number;
  init?: InitIR;
  width: number;
  doc?: string;
}

export type TaskType = "binary" | "regression";

export type TaskHeadIR =
  /** A linear layer to one unit on top of a node: a logit (binary) or a value (regression). */
  | { op: "dense"; input: string }
  /** The product of other tasks' outputs (probabilities or values), e.g. ctcvr = ctr * cvr. */
  | { op: "product"; factors: string[] };

/** A binary column as a label or a `where` mask (version 1 had one `positive` string; see upgrade.ts). */
export interface LabelIR {
  column: string;
  /** Binary tasks: the field values meaning 1 (any other value means 0); null means 0/1 or true/false. */
  positives: string[] | null;
}

export type LossIR = { type: "bce" } | { type: "mse" } | { type: "huber"; delta: number };

export interface TaskIR {
  name: string;
  type: TaskType;
  head: TaskHeadIR;
  /** null for a latent task trained only through the tasks that depend on it (ESMM's cvr). */
  label: LabelIR | null;
  /** Loss and metrics only on rows where this 0/1 column (a task's label or any data column) is 1. */
  where: LabelIR | null;
  weight: number;
  loss: LossIR;
  doc?: string;
}

export type OptimizerIR =
  | { type: "adam"; lr: number; beta1: number; beta2: number; epsilon: number }
  | { type: "adagrad"; lr: number; initialAccumulator: number }
  | { type: "sgd"; lr: number; momentum: number }
  | { type: "rmsprop"; lr: number; decay: number; momentum: number; epsilon: number };

export interface TrainIR {
  optimizer: OptimizerIR;
  batch: number;
  epochs: number;
  weighting: "fixed" | "uncertainty";
  seed: number;
  /** L2 penalty on all kernel weights (0 disables). */
  l2: number;
}
