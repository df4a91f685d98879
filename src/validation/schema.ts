/**
 * The vocabulary of the language as data: which constructors exist where,
 * which options each takes, their types, ranges and defaults. The option
 * checker, the lowering (defaults), completion and docs all read this table,
 * so adding an option is a one-line change here. The tables are `as const`:
 * option-types.ts derives from them the type of every checked option, so
 * renaming or retyping an option breaks the build at each of its readers.
 */

export type RefKind = "feature" | "input" | "expert" | "gate" | "tower" | "task";

export type ValueType =
  | { t: "int"; min?: number; max?: number }
  | { t: "number"; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }
  | { t: "bool" }
  | { t: "string"; length?: number }
  | { t: "enum"; values: readonly string[] }
  /** A name of a declaration of one of these kinds; `groups`: a feature group stands for all its members. */
  | { t: "ref"; kinds: readonly RefKind[]; star?: boolean; groups?: boolean }
  /** A data column: a name or a string. */
  | { t: "column" }
  | { t: "list"; of: ValueType; nonEmpty?: boolean; unique?: boolean }
  /** A nested constructor, like `adam(lr: 0.001)`, or its bare name for all defaults. */
  | { t: "ctor"; ctors: Readonly<Record<string, CtorSchema>>; what: string };

export interface OptionSchema {
  type: ValueType;
  required?: boolean;
  default?: unknown;
  doc: string;
}

export interface PositionalSchema {
  name: string;
  type: ValueType;
  /** Accepts any number of values (concat's inputs). */
  variadic?: boolean;
}

export interface CtorSchema {
  doc: string;
  usage: string;
  positional: readonly PositionalSchema[];
  options: Readonly<Record<string, OptionSchema>>;
  /** Exactly one of each pair must be given. */
  oneOf?: readonly (readonly [string, string])[];
}

// The helpers keep their literal types (`t`, enum values), from which option-types.ts derives the checked options.
const int = (min?: number, max?: number): { t: "int"; min?: number; max?: number } => ({ t: "int", ...(min !== undefined && { min }), ...(max !== undefined && { max }) });
const positive = { t: "number", min: 0, minExclusive: true } as const satisfies ValueType;
const fraction = { t: "number", min: 0, max: 1, maxExclusive: true } as const satisfies ValueType;
const enumOf = <const V extends readonly string[]>(...values: V): { t: "enum"; values: V } => ({ t: "enum", values });
const column = { type: { t: "column" }, doc: "The data column to read; defaults to the feature's name." } as const satisfies OptionSchema;

/** Anything with an output width can feed a network. */
export const VALUE_KINDS: readonly RefKind[] = ["feature", "input", "expert", "gate", "tower"];

export const ACTIVATIONS = ["relu", "tanh", "sigmoid", "elu", "selu", "gelu", "swish", "linear"] as const;

/**
 * How a network's or a gate's dense layers start (src/plan/layer-plan.ts
 * realises them). fan_in is a layer's input width, fan_out its units.
 */
export const INITS = ["torch", "glorot_uniform", "he_uniform", "lecun_uniform"] as const;
const init = {
  type: enumOf(...INITS),
  // Measured on the MMoE synthetic experiment (docs/language.md, "Initialisation"): torch reached a lower test MSE than Glorot.
  default: "torch",
  doc:
    "Initial weights of its dense layers: torch, PyTorch's nn.Linear default (weights and biases uniform in ±1/sqrt(fan_in)); " +
    "glorot_uniform, Keras' default (weights in ±sqrt(6/(fan_in+fan_out)), biases 0); he_uniform (±sqrt(6/fan_in), biases 0); " +
    "lecun_uniform (±sqrt(3/fan_in), biases 0). A task's head follows the network it reads.",
} as const satisfies OptionSchema;

export const FEATURE_CTORS = {
  categorical: {
    doc: "A categorical column embedded in a learned table: hashed ids (`buckets`) or a fixed vocabulary (`vocab`, plus one out-of-vocabulary row).",
    usage: "categorical(buckets: 100_000, dim: 16)",
    positional: [],
    options: {
      buckets: { type: int(1, 2 ** 31 - 1), doc: "Number of hash buckets (table rows) for ids hashed with a stable hash." },
      vocab: { type: { t: "list", of: { t: "string" }, nonEmpty: true, unique: true }, doc: "The known values; anything else maps to the out-of-vocabulary row." },
      dim: { type: int(1, 65_536), required: true, doc: "Embedding width." },
      shares: {
        type: { t: "ref", kinds: ["feature"] },
        doc: "Another categorical feature whose embedding table this one reads (`last_item_id` through `item_id`'s): one table, trained by both. Its `buckets` or `vocab` and `dim` must be the same.",
      },
      column,
    },
    oneOf: [["buckets", "vocab"]],
  },
  numeric: {
    doc: "A number, optionally transformed, then normalised with statistics from the training data.",
    usage: "numeric(transform: log1p, normalize: zscore)",
    positional: [],
    options: {
      transform: { type: enumOf("none", "log1p", "sqrt"), default: "none", doc: "Applied before normalisation." },
      normalize: { type: enumOf("none", "zscore", "minmax"), default: "none", doc: "Statistics are fitted on the training data and saved with the model." },
      fill: { type: enumOf("mean", "zero"), default: "mean", doc: "What a missing value becomes: the training mean, or 0." },
      column,
    },
  },
  sequence: {
    doc: "A list of ids in one field, embedded with the table of a categorical feature and pooled.",
    usage: "sequence(of: item_id, max_len: 50, pool: mean)",
    positional: [],
    options: {
      of: { type: { t: "ref", kinds: ["feature"] }, required: true, doc: "The categorical feature whose encoding and embedding table the items share." },
      max_len: { type: int(1, 10_000), required: true, doc: "Keeps the last `max_len` items." },
      pool: { type: enumOf("mean", "sum", "max"), default: "mean", doc: "How item embeddings are combined." },
      sep: { type: { t: "string", length: 1 }, default: "|", doc: "Separator between items in a field." },
      column,
    },
  },
} as const satisfies Record<string, CtorSchema>;

export const INPUT_CTORS = {
  concat: {
    doc: "Concatenates features and nodes side by side; `*` means every feature, and a feature group all its members.",
    usage: "concat(*)  or  concat(user_id, price)",
    positional: [{ name: "inputs", type: { t: "ref", kinds: VALUE_KINDS, star: true, groups: true }, variadic: true }],
    options: {},
  },
} as const satisfies Record<string, CtorSchema>;

export const MLP_CTORS = {
  mlp: {
    doc: "A stack of dense layers, one per entry of the layer sizes.",
    usage: "mlp(x, [256, 128], activation: relu, dropout: 0.1)",
    positional: [
      { name: "input", type: { t: "ref", kinds: VALUE_KINDS } },
      { name: "layers", type: { t: "list", of: int(1, 1_000_000), nonEmpty: true } },
    ],
    options: {
      activation: { type: enumOf(...ACTIVATIONS), default: "relu", doc: "Activation after every layer." },
      dropout: { type: fraction, default: 0, doc: "Dropout rate after every layer while training, in [0, 1)." },
      batchnorm: { type: { t: "bool" }, default: false, doc: "Batch normalisation before every activation." },
      init,
    },
  },
} as const satisfies Record<string, CtorSchema>;

export const GATE_CTORS = {
  softmax: {
    doc: "A gate: softmax(W x) gives one weight per expert, summing to 1; the output is the weighted sum of the experts.",
    usage: "softmax(x) over experts",
    positional: [{ name: "input", type: { t: "ref", kinds: VALUE_KINDS } }],
    options: { init },
  },
} as const satisfies Record<string, CtorSchema>;

export const LOSS_CTORS = {
  bce: { doc: "Binary cross-entropy, computed from logits.", usage: "loss bce", positional: [], options: {} },
  mse: { doc: "Mean squared error.", usage: "loss mse", positional: [], options: {} },
  huber: {
    doc: "Huber loss: squared near 0, linear beyond `delta`; robust to outliers such as huge order amounts.",
    usage: "loss huber(delta: 1.0)",
    positional: [],
    options: { delta: { type: positive, default: 1, doc: "Where the loss turns from squared to linear." } },
  },
} as const satisfies Record<string, CtorSchema>;

/**
 * ESCM²'s counterfactual CVR losses (Wang et al., SIGIR 2022), a clause on a
 * binary task with `where`: the first argument is the propensity, the binary
 * task labelling the `where` column (ctr for `where click`). The math and the
 * choices (what is detached, how clipping works) are in docs/language.md and
 * src/runtime/loss/debias.ts.
 */
const propensity = { name: "propensity", type: { t: "ref", kinds: ["task"] } } as const satisfies PositionalSchema;
const clip = {
  type: { t: "number", min: 0, max: 1, minExclusive: true },
  // PaddleRec's ESCM² caps the inverse propensity at 15 (p >= 0.067); 0.05 caps it at 20.
  default: 0.05,
  doc: "The propensity is clipped below at this value, so no clicked row weighs more than 1/clip (20 by default).",
} as const satisfies OptionSchema;
export const DEBIAS_CTORS = {
  ips: {
    doc: "Inverse propensity scoring: the task's loss over every row, each clicked row's loss divided by its predicted (clipped, detached) click probability.",
    usage: "debias ips(ctr)",
    positional: [propensity],
    options: { clip },
  },
  dr: {
    doc: "Doubly robust: IPS plus an imputation task (a latent regression task) that predicts the loss on every row, trained on the clicked rows weighted as IPS weighs them.",
    usage: "debias dr(ctr, imputation: imp)",
    positional: [propensity],
    options: { imputation: { type: { t: "ref", kinds: ["task"] }, required: true, doc: "The latent regression task whose output is the imputed loss ê." }, clip },
  },
} as const satisfies Record<string, CtorSchema>;

export const LOSSES_BY_TYPE: Record<string, readonly string[]> = { binary: ["bce"], regression: ["mse", "huber"] };

export const TASK_TYPES = ["binary", "regression"] as const;

const OPTIMIZERS = {
  adam: {
    doc: "Adam.",
    usage: "adam(lr: 0.001)",
    positional: [],
    options: {
      lr: { type: positive, default: 0.001, doc: "Learning rate." },
      beta1: { type: fraction, default: 0.9, doc: "Decay of the first moment." },
      beta2: { type: fraction, default: 0.999, doc: "Decay of the second moment." },
      epsilon: { type: positive, default: 1e-7, doc: "Added to the denominator." },
    },
  },
  adagrad: {
    doc: "Adagrad, common for sparse embedding tables.",
    usage: "adagrad(lr: 0.01)",
    positional: [],
    options: {
      lr: { type: positive, default: 0.01, doc: "Learning rate." },
      initial_accumulator: { type: positive, default: 0.1, doc: "Starting value of the squared-gradient sums." },
    },
  },
  sgd: {
    doc: "Stochastic gradient descent, with optional momentum.",
    usage: "sgd(lr: 0.01, momentum: 0.9)",
    positional: [],
    options: {
      lr: { type: positive, default: 0.01, doc: "Learning rate." },
      momentum: { type: fraction, default: 0, doc: "Momentum in [0, 1)." },
    },
  },
  rmsprop: {
    doc: "RMSProp.",
    usage: "rmsprop(lr: 0.001)",
    positional: [],
    options: {
      lr: { type: positive, default: 0.001, doc: "Learning rate." },
      decay: { type: fraction, default: 0.9, doc: "Decay of the squared-gradient average." },
      momentum: { type: fraction, default: 0, doc: "Momentum in [0, 1)." },
      epsilon: { type: positive, default: 1e-7, doc: "Added to the denominator." },
    },
  },
} as const satisfies Record<string, CtorSchema>;

/**
 * How the task losses are weighed (src/runtime/balance realises gradnorm and
 * dwa; docs/language.md, "Task weighting", gives the math and when to use which).
 */
export const WEIGHTINGS = {
  fixed: { doc: "Each task's loss times its `weight` (1 unless given).", usage: "weighting: fixed", positional: [], options: {} },
  uncertainty: {
    doc: "Learned homoscedastic-uncertainty weights (Kendall, Gal & Cipolla, CVPR 2018); replaces the tasks' `weight`.",
    usage: "weighting: uncertainty",
    positional: [],
    options: {},
  },
  gradnorm: {
    doc:
      "GradNorm (Chen et al., ICML 2018): learned task weights that keep the tasks' gradient norms at the last network every trained task shares " +
      "in proportion to how slowly each task's loss falls; the weights sum to the number of trained tasks and replace the tasks' `weight`.",
    usage: "weighting: gradnorm(alpha: 1.5)",
    positional: [],
    options: {
      alpha: { type: { t: "number", min: 0 }, default: 1.5, doc: "How strongly a task that trains slower than the others gets a larger gradient (0: equal gradient norms)." },
      lr: { type: positive, default: 0.01, doc: "Step size of the task weights' own Adam: each step moves a weight by at most about this much." },
    },
  },
  dwa: {
    doc:
      "Dynamic Weight Average (Liu, Johns & Davison, CVPR 2019): each epoch, a task whose loss fell less in the previous epoch gets a larger weight; " +
      "weights 1 for the first two epochs, summing to the number of trained tasks; they replace the tasks' `weight`.",
    usage: "weighting: dwa(temperature: 2)",
    positional: [],
    options: { temperature: { type: positive, default: 2, doc: "Softens the weights: a large temperature keeps them near 1." } },
  },
} as const satisfies Record<string, CtorSchema>;

/** The `train { ... }` block, checked like the options of a call. */
export const TRAIN_BLOCK = {
  doc: "Training settings.",
  usage: "train { optimizer: adam(lr: 0.001)  batch: 1024  epochs: 3 }",
  positional: [],
  options: {
    optimizer: { type: { t: "ctor", ctors: OPTIMIZERS, what: "optimizer" }, default: "adam", doc: "adam, adagrad, sgd or rmsprop, with their settings." },
    batch: { type: int(1, 1 << 24), default: 512, doc: "Rows per training step." },
    epochs: { type: int(1, 1_000_000), default: 1, doc: "Passes over the training data." },
    weighting: {
      type: { t: "ctor", ctors: WEIGHTINGS, what: "task weighting" },
      default: "fixed",
      doc: "Task loss weights: fixed (`weight` per task), uncertainty (Kendall et al. 2018), gradnorm(alpha, lr) (Chen et al. 2018) or dwa(temperature) (Liu et al. 2019).",
    },
    seed: { type: int(0, 2 ** 31 - 1), default: 42, doc: "Seeds initialisation, dropout and shuffling: the same seed gives the same model." },
    l2: { type: { t: "number", min: 0 }, default: 0, doc: "L2 penalty on all dense kernels." },
    sample_weight: {
      type: { t: "column" },
      doc: "A column whose value (finite, >= 0) weighs each row in every labelled task's loss and metrics; a task's own `sample_weight` clause overrides it.",
    },
  },
} as const satisfies CtorSchema;

export const FORMATS = {
  csv: {
    doc: "Comma- (or otherwise) separated values.",
    usage: 'csv(header: false, trim: true, missing: ["?", ""])',
    positional: [],
    options: {
      header: { type: { t: "bool" }, default: true, doc: "Whether the first row names the columns." },
      delimiter: { type: { t: "string", length: 1 }, default: ",", doc: "Field separator." },
      trim: { type: { t: "bool" }, default: false, doc: "Strip blanks around every field." },
      missing: { type: { t: "list", of: { t: "string" } }, default: ["", "?", "NA"], doc: "Field values that mean 'missing'." },
    },
  },
  jsonl: {
    doc: "One JSON object per line.",
    usage: "jsonl",
    positional: [],
    options: { missing: { type: { t: "list", of: { t: "string" } }, default: ["", "?", "NA"], doc: "String values that mean 'missing' (null always does)." } },
  },
  parquet: { doc: "Apache Parquet.", usage: "parquet", positional: [], options: {} },
} as const satisfies Record<string, CtorSchema>;

/** The `data { ... }` block. */
export const DATA_BLOCK = {
  doc: "How the data files are laid out; command-line options override it.",
  usage: 'data { format: csv(header: false)  columns: [age, income] }',
  positional: [],
  options: {
    format: { type: { t: "ctor", ctors: FORMATS, what: "data format" }, default: "csv", doc: "csv(...), jsonl or parquet." },
    columns: { type: { t: "list", of: { t: "column" }, nonEmpty: true }, doc: "Column names in file order, for files without a header." },
  },
} as const satisfies CtorSchema;

/** The blocks by their keyword. */
export const BLOCKS: Readonly<Record<string, CtorSchema>> = { train: TRAIN_BLOCK, data: DATA_BLOCK };

export const CTORS_BY_DECL = {
  feature: FEATURE_CTORS,
  input: INPUT_CTORS,
  expert: MLP_CTORS,
  tower: MLP_CTORS,
  gate: GATE_CTORS,
} as const;
