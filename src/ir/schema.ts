/**
 * The IR's shape, written once. The TypeScript types (types.ts, via
 * `Static<>`), the validator's JSON Schema (validate.ts) and the published
 * grammar/mtl-ir.schema.json (`npm run grammar`, scripts/write-ir-schema.ts)
 * all come from these definitions, and every vocabulary (activations,
 * transforms, optimizers, ranges of options) is read from the language's
 * option table, src/validation/schema.ts, so adding a value there reaches the
 * IR with no second edit.
 *
 * Only `npm run grammar` and tests load this module (and TypeBox): at run
 * time validate.ts reads the file it writes, so `mtl check` and the editor
 * never pay for building the schema; test/ir/schema-file.test.ts fails when
 * the file is stale.
 *
 * Tagged unions are written as if/then on their discriminator (`tagged`), so
 * a validation error points into the branch the value claims to be rather
 * than listing every other branch's complaints.
 */
import { Type, type Static, type TObject, type TSchema, type TUnsafe } from "@sinclair/typebox";
import {
  ACTIVATIONS,
  DATA_BLOCK,
  DEBIAS_CTORS,
  FEATURE_CTORS,
  FORMATS,
  INITS,
  LOSS_CTORS,
  MLP_CTORS,
  TASK_TYPES,
  TRAIN_BLOCK,
  type ValueType,
} from "../validation/schema.js";

import { IR_VERSION } from "./version.js";

/** An enumeration taken from the option table. */
function oneOf<const V extends readonly string[]>(values: V): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ enum: [...values] });
}

/** A number with the range the option table gives it, so the IR accepts what the checker accepts. */
function numberOf(type: ValueType): TSchema {
  if (type.t === "int") return Type.Integer({ ...(type.min !== undefined && { minimum: type.min }), ...(type.max !== undefined && { maximum: type.max }) });
  if (type.t !== "number") throw new Error(`not a numeric option type: ${type.t}`);
  const range: Record<string, number> = {};
  if (type.min !== undefined) range[type.minExclusive ? "exclusiveMinimum" : "minimum"] = type.min;
  if (type.max !== undefined) range[type.maxExclusive ? "exclusiveMaximum" : "maximum"] = type.max;
  return Type.Number(range);
}

/** A number option of the table, typed as a number. */
const num = (type: ValueType) => numberOf(type) as TUnsafe<number>;

/** A union discriminated by `key`; each variant is an object whose `key` is a literal. */
function tagged<const K extends string, V extends readonly TObject[]>(key: K, variants: V): TUnsafe<Static<V[number]>> {
  const tags = variants.map((v) => (v.properties[key] as unknown as { const: string }).const);
  return Type.Unsafe<Static<V[number]>>({
    type: "object",
    required: [key],
    properties: { [key]: { enum: tags } },
    allOf: variants.map((variant, i) => ({ if: { properties: { [key]: { const: tags[i] } } }, then: variant })),
  });
}

/** Names the IR cross-references: features, tables, nodes and tasks. */
const Name = Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*$" });
const Column = Type.String({ minLength: 1 });
const Doc = Type.Optional(Type.String());
const strict = { additionalProperties: false } as const;

const featureOptions = FEATURE_CTORS;
const sequenceOptions = featureOptions.sequence.options;
const numericOptions = featureOptions.numeric.options;

export const CategoricalEncodingSchema = tagged("type", [
  Type.Object({ type: Type.Literal("hash"), buckets: num(featureOptions.categorical.options.buckets.type) }, strict),
  Type.Object({ type: Type.Literal("vocab"), vocab: Type.Array(Type.String(), { minItems: 1, uniqueItems: true }) }, strict),
]);

/**
 * A feature states no width: a categorical or sequence feature is as wide as
 * its table's `dim`, a numeric one is 1 (widths.ts).
 */
const featureBase = { name: Name, column: Column, doc: Doc };

export const CategoricalFeatureSchema = Type.Object(
  {
    ...featureBase,
    kind: Type.Literal("categorical"),
    /** Hashed ids: a stable hash modulo `buckets`. Vocabularies: index 0 is the out-of-vocabulary row. */
    encoding: CategoricalEncodingSchema,
    /** Name of the embedding table in `tables`. */
    table: Name,
  },
  strict,
);

export const NumericFeatureSchema = Type.Object(
  {
    ...featureBase,
    kind: Type.Literal("numeric"),
    transform: oneOf(numericOptions.transform.type.values),
    normalize: oneOf(numericOptions.normalize.type.values),
    /** What a missing value becomes, before the transform: the training mean, or zero. */
    fill: oneOf(numericOptions.fill.type.values),
  },
  strict,
);

export const SequenceFeatureSchema = Type.Object(
  {
    ...featureBase,
    kind: Type.Literal("sequence"),
    /** The categorical feature whose encoding and table the items share. */
    of: Name,
    /** The table of `of` (the gate checks they agree). */
    table: Name,
    maxLen: num(sequenceOptions.max_len.type),
    pool: oneOf(sequenceOptions.pool.type.values),
    /** Separator between items inside one field. */
    sep: Type.String({ minLength: 1, maxLength: 1 }),
  },
  strict,
);

export const FeatureSchema = tagged("kind", [CategoricalFeatureSchema, NumericFeatureSchema, SequenceFeatureSchema]);

export const TableSchema = Type.Object(
  {
    name: Name,
    /** Rows: hash buckets, or vocabulary size + 1 for the out-of-vocabulary row. */
    rows: Type.Integer({ minimum: 1 }),
    /** The embedding width: the one place a categorical or sequence feature's width is stated. */
    dim: num(featureOptions.categorical.options.dim.type),
  },
  strict,
);

/**
 * A run of numeric features that an `input` concatenates and nothing else
 * reads: they enter the graph together as one float32 [batch, n] input named
 * `name`, columns in the order of `features`, each filled, transformed and
 * normalised by the encoder as on its own. The concat lists the block in the
 * run's place. Lowering decides the blocks (src/ir/blocks.ts).
 */
export const NumericBlockSchema = Type.Object(
  {
    name: Name,
    features: Type.Array(Name, { minItems: 2, uniqueItems: true }),
  },
  strict,
);

const mlpOptions = MLP_CTORS.mlp.options;

/** Nodes state no width either: it follows from their inputs and units (widths.ts). */
export const ConcatNodeSchema = Type.Object(
  {
    op: Type.Literal("concat"),
    name: Name,
    role: Type.Literal("input"),
    /** Features, numeric blocks or nodes, in order. */
    inputs: Type.Array(Name, { minItems: 1 }),
    doc: Doc,
  },
  strict,
);

export const MlpNodeSchema = Type.Object(
  {
    op: Type.Literal("mlp"),
    name: Name,
    role: oneOf(["expert", "tower"] as const),
    /** A group of `count` experts of one shape; 1 for a single network. */
    count: Type.Integer({ minimum: 1 }),
    input: Name,
    units: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 }),
    activation: oneOf(ACTIVATIONS),
    dropout: num(mlpOptions.dropout.type),
    batchNorm: Type.Boolean(),
    /** How the dense layers start (the `init` option; src/plan/layer-plan.ts gives each its distributions). Version 2 IRs were all glorot_uniform. */
    init: oneOf(INITS),
    doc: Doc,
  },
  strict,
);

export const GateNodeSchema = Type.Object(
  {
    op: Type.Literal("gate"),
    name: Name,
    role: Type.Literal("gate"),
    /** The gate reads `input` and mixes the experts: softmax(W input) · [f_1 .. f_n]. */
    input: Name,
    /** Expert groups mixed, in order; the gate has one weight per expert across all groups. */
    experts: Type.Array(Name, { minItems: 1 }),
    /** The experts' count summed over the groups (the gate checks it). */
    numExperts: Type.Integer({ minimum: 1 }),
    /** How the dense layers start (the `init` option; src/plan/layer-plan.ts gives each its distributions). Version 2 IRs were all glorot_uniform. */
    init: oneOf(INITS),
    doc: Doc,
  },
  strict,
);

export const NodeSchema = tagged("op", [ConcatNodeSchema, MlpNodeSchema, GateNodeSchema]);

export const TaskHeadSchema = tagged("op", [
  /** A linear layer to one unit on top of a node: a logit (binary) or a value (regression). */
  Type.Object({ op: Type.Literal("dense"), input: Name }, strict),
  /** The product of other tasks' outputs (probabilities or values), e.g. ctcvr = ctr * cvr. */
  Type.Object({ op: Type.Literal("product"), factors: Type.Array(Name, { minItems: 2 }) }, strict),
]);

/** A binary column as a label: `positives` are the field values meaning 1 (any other means 0); null means 0/1 or true/false. */
export const LabelSchema = Type.Object(
  { column: Column, positives: Type.Union([Type.Null(), Type.Array(Type.String(), { minItems: 1, uniqueItems: true })]) },
  strict,
);

/**
 * A `where` mask: a 0/1 column. `task` names the binary task whose label it
 * is (ESMM's `where click` is task ctr's label; column and positives are
 * then that label's), or is null for a column no task predicts.
 */
export const MaskSchema = Type.Object({ ...LabelSchema.properties, task: Type.Union([Type.Null(), Name]) }, strict);

/**
 * How evaluation scores a task: its output against the label of task
 * `label` (under that task's `where`), on the rows where the labels of the
 * `given` tasks are 1. A labelled task is scored against its own label; ESMM's
 * latent cvr against ctcvr's label on the rows where ctr's label is 1.
 */
export const EvaluationSchema = Type.Object({ label: Name, given: Type.Array(Name, { uniqueItems: true }) }, strict);

type LossTag = keyof typeof LOSS_CTORS;
const LOSSES = {
  bce: Type.Object({ type: Type.Literal("bce") }, strict),
  mse: Type.Object({ type: Type.Literal("mse") }, strict),
  huber: Type.Object({ type: Type.Literal("huber"), delta: num(LOSS_CTORS.huber.options.delta.type) }, strict),
} satisfies Record<LossTag, TObject>;
export const LossSchema = tagged("type", Object.values(LOSSES) as [typeof LOSSES.bce, typeof LOSSES.mse, typeof LOSSES.huber]);

/**
 * AITM's adaptive information transfer into a dense binary task from the
 * dense binary task `from`, earlier in `tasks` (src/plan/aitm.ts builds it),
 * and the weight of the behavioural-expectation calibrator
 * calibrate * mean(max(p_task - p_from, 0)) (0: no calibrator).
 */
export const TransferSchema = Type.Object({ from: Name, calibrate: Type.Number({ minimum: 0 }) }, strict);
const debiasClip = num(DEBIAS_CTORS.ips.options.clip.type);
/**
 * ESCM²'s counterfactual loss (src/runtime/loss/debias.ts): the task's loss
 * over every row, its `where` rows weighted by 1 / max(p, clip), p the
 * `propensity` task's probability (that task labels the `where` column). `dr`
 * adds the `imputation` task's predicted loss on every row.
 */
export const DebiasSchema = tagged("type", [
  Type.Object({ type: Type.Literal("ips"), propensity: Name, clip: debiasClip }, strict),
  Type.Object({ type: Type.Literal("dr"), propensity: Name, imputation: Name, clip: debiasClip }, strict),
]);

export const TaskSchema = Type.Object(
  {
    name: Name,
    type: oneOf(TASK_TYPES),
    head: TaskHeadSchema,
    /** null for a latent task trained only through the tasks that depend on it (ESMM's cvr). */
    label: Type.Union([Type.Null(), LabelSchema]),
    /** Loss and metrics only on rows where this mask is 1. */
    where: Type.Union([Type.Null(), MaskSchema]),
    /** null: evaluation does not score this task (a latent task no labelled product can score). */
    evaluation: Type.Union([Type.Null(), EvaluationSchema]),
    weight: Type.Number({ minimum: 0 }),
    /**
     * The column whose value (finite, >= 0) weighs each row in the task's loss,
     * sum(w l) / sum(w) over the task's rows, and in its metrics. Absent: every
     * row weighs 1. Only on a task with a label.
     */
    sampleWeight: Type.Optional(Column),
    loss: LossSchema,
    /** Absent: the task's head reads its node as it is. */
    transfer: Type.Optional(TransferSchema),
    /** Absent: the task's loss is its mean over its `where` rows. */
    debias: Type.Optional(DebiasSchema),
    doc: Doc,
  },
  strict,
);

const optimizers = TRAIN_BLOCK.options.optimizer.type.ctors;
const OPTIMIZERS = {
  adam: Type.Object(
    {
      type: Type.Literal("adam"),
      lr: num(optimizers.adam.options.lr.type),
      beta1: num(optimizers.adam.options.beta1.type),
      beta2: num(optimizers.adam.options.beta2.type),
      epsilon: num(optimizers.adam.options.epsilon.type),
    },
    strict,
  ),
  adagrad: Type.Object(
    {
      type: Type.Literal("adagrad"),
      lr: num(optimizers.adagrad.options.lr.type),
      initialAccumulator: num(optimizers.adagrad.options.initial_accumulator.type),
    },
    strict,
  ),
  sgd: Type.Object({ type: Type.Literal("sgd"), lr: num(optimizers.sgd.options.lr.type), momentum: num(optimizers.sgd.options.momentum.type) }, strict),
  rmsprop: Type.Object(
    {
      type: Type.Literal("rmsprop"),
      lr: num(optimizers.rmsprop.options.lr.type),
      decay: num(optimizers.rmsprop.options.decay.type),
      momentum: num(optimizers.rmsprop.options.momentum.type),
      epsilon: num(optimizers.rmsprop.options.epsilon.type),
    },
    strict,
  ),
} satisfies Record<keyof typeof optimizers, TObject>;
export const OptimizerSchema = tagged("type", [OPTIMIZERS.adam, OPTIMIZERS.adagrad, OPTIMIZERS.sgd, OPTIMIZERS.rmsprop]);

const train = TRAIN_BLOCK.options;
const weightings = train.weighting.type.ctors;
/**
 * train.weighting: "fixed" and "uncertainty" as before (every IR written
 * before gradnorm and dwa stays valid), the two balancers with options as
 * objects tagged by `type`.
 */
export const WeightingSchema = Type.Union([
  oneOf(["fixed", "uncertainty"] as const satisfies readonly (keyof typeof weightings)[]),
  tagged("type", [
    Type.Object({ type: Type.Literal("gradnorm"), alpha: num(weightings.gradnorm.options.alpha.type), lr: num(weightings.gradnorm.options.lr.type) }, strict),
    Type.Object({ type: Type.Literal("dwa"), temperature: num(weightings.dwa.options.temperature.type) }, strict),
  ]),
]);

export const TrainSchema = Type.Object(
  {
    optimizer: OptimizerSchema,
    batch: num(train.batch.type),
    epochs: num(train.epochs.type),
    weighting: WeightingSchema,
    seed: num(train.seed.type),
    /** L2 penalty on all kernel weights (0 disables). */
    l2: num(train.l2.type),
  },
  strict,
);

export const DataSchema = Type.Object(
  {
    format: oneOf(Object.keys(FORMATS) as (keyof typeof FORMATS)[]),
    /** CSV only: whether the first row names the columns. */
    header: Type.Boolean(),
    delimiter: Type.String({ minLength: 1, maxLength: 1 }),
    /** Strip blanks around every field (the census file pads fields). */
    trim: Type.Boolean(),
    /** Field values that mean "missing". */
    missing: Type.Array(Type.String()),
    /** Column names in file order for files without a header; null otherwise. */
    columns: Type.Union([Type.Null(), Type.Array(Column, { minItems: DATA_BLOCK.options.columns.type.nonEmpty ? 1 : 0, uniqueItems: true })]),
  },
  strict,
);

export const ModelIRSchema = Type.Object(
  {
    irVersion: Type.Literal(IR_VERSION),
    model: Type.Object({ name: Name, description: Type.Optional(Type.String()), doc: Doc }, strict),
    data: DataSchema,
    features: Type.Array(FeatureSchema, { minItems: 1 }),
    /** Runs of numeric features that enter the graph as one [batch, n] tensor each. */
    numericBlocks: Type.Array(NumericBlockSchema),
    /** Embedding tables; sequences share the table of the feature they are `of`. */
    tables: Type.Array(TableSchema),
    /** Network nodes in a topological order: every input precedes its user. */
    nodes: Type.Array(NodeSchema),
    /** Tasks in a topological order: a product task follows its factors. */
    tasks: Type.Array(TaskSchema, { minItems: 1 }),
    train: TrainSchema,
  },
  {
    ...strict,
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "mtl intermediate representation",
    description:
      "What every mtl back end reads: a multi-task ranking model with its features, network, tasks and training settings. " +
      "Generated by `mtl compile SPEC --target ir`; written from src/ir/schema.ts by `npm run grammar`.",
  },
);

/** The text of grammar/mtl-ir.schema.json: the schema as plain JSON (TypeBox's symbol-keyed annotations drop out). */
export function irSchemaText(): string {
  return JSON.stringify(ModelIRSchema, null, 2) + "\n";
}
