/**
 * The intermediate representation: everything a back end needs to build,
 * train and serve a model, and nothing of the surface syntax.
 *
 * The types are derived (type-only, so TypeBox is not loaded at run time)
 * from the one description of the IR's shape, schema.ts, which also yields
 * the JSON Schema. A back end accepts `ValidIR`:
 * an IR that passed validate.ts's gate (shape and cross-references), so it
 * never re-checks what the gate guarantees.
 */
import type { Static } from "@sinclair/typebox";
import type * as S from "./schema.js";

export { IR_VERSION } from "./version.js";

export type ModelIR = Static<typeof S.ModelIRSchema>;
export type DataIR = Static<typeof S.DataSchema>;
export type FeatureIR = Static<typeof S.FeatureSchema>;
export type CategoricalEncodingIR = Static<typeof S.CategoricalEncodingSchema>;
export type CategoricalFeatureIR = Static<typeof S.CategoricalFeatureSchema>;
export type NumericFeatureIR = Static<typeof S.NumericFeatureSchema>;
export type SequenceFeatureIR = Static<typeof S.SequenceFeatureSchema>;
export type TableIR = Static<typeof S.TableSchema>;
export type NumericBlockIR = Static<typeof S.NumericBlockSchema>;
export type NodeIR = Static<typeof S.NodeSchema>;
export type ConcatNodeIR = Static<typeof S.ConcatNodeSchema>;
export type MlpNodeIR = Static<typeof S.MlpNodeSchema>;
export type GateNodeIR = Static<typeof S.GateNodeSchema>;
export type Activation = MlpNodeIR["activation"];
export type InitIR = MlpNodeIR["init"];
export type TaskIR = Static<typeof S.TaskSchema>;
export type TaskType = TaskIR["type"];
export type TaskHeadIR = Static<typeof S.TaskHeadSchema>;
export type LabelIR = Static<typeof S.LabelSchema>;
export type MaskIR = Static<typeof S.MaskSchema>;
export type EvaluationIR = Static<typeof S.EvaluationSchema>;
export type LossIR = Static<typeof S.LossSchema>;
export type TransferIR = Static<typeof S.TransferSchema>;
export type DebiasIR = Static<typeof S.DebiasSchema>;
export type OptimizerIR = Static<typeof S.OptimizerSchema>;
export type WeightingIR = Static<typeof S.WeightingSchema>;
export type TrainIR = Static<typeof S.TrainSchema>;

declare const valid: unique symbol;

/**
 * An IR that passed the gate (validate.ts): its shape matches the schema,
 * every name it uses is declared before its user, widths agree, tasks are in
 * order. Only validate.ts makes one; deep-readonly is not enforced, so back
 * ends must not mutate it.
 */
export type ValidIR = ModelIR & { readonly [valid]: true };
