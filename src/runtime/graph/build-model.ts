/**
 * IR -> tf.LayersModel (functional API, standard Keras layers except the two
 * registered ones in custom-layers.ts).
 *
 * Layer names: inputs are the feature names, outputs the task names; inside,
 *   emb_<table>                         shared Embedding of a table
 *   feat_<f>_flat | feat_<f>_ids | feat_<f>_pool   feature plumbing
 *   concat_<node>
 *   expert_<node>_<i>_{dense,bn,act,dropout}_<j>   expert i of a group, layer j
 *   tower_<node>_{dense,bn,act,dropout}_<j>
 *   gate_<node> (softmax Dense), gate_<node>_{expert_<k>_row,stack,mix}
 *   task_<task>_head                    the one-unit Dense of a dense head
 * All indices are 0-based.
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelIR } from "../../ir/types.js";
import { BuildContext } from "./context.js";
import { buildFeatures } from "./features.js";
import { buildHeads } from "./heads.js";
import { layerName } from "./names.js";
import { buildNode } from "./networks.js";

export interface TaskOutputIndex {
  /** Position of the task's probability/value in model.outputs and trainingModel.outputs. */
  output: number;
  /** Position of a dense binary task's logit in trainingModel.outputs; null for other tasks. */
  logit: number | null;
}

export interface BuiltModel {
  readonly ir: ModelIR;
  /** Inference model: one input per feature (IR order), one output per task (IR order). */
  readonly model: tf.LayersModel;
  /** The same layers, with the dense binary heads' logits appended to the outputs. */
  readonly trainingModel: tf.LayersModel;
  /** Feature names in the order of model.inputs. */
  readonly inputNames: readonly string[];
  /** Task names in the order of model.outputs. */
  readonly outputNames: readonly string[];
  readonly taskIndex: Readonly<Record<string, TaskOutputIndex>>;
  /** Dropout layer name -> its base seed (train steps derive per-step seeds from it). */
  readonly dropoutSeeds: ReadonlyMap<string, number>;
}

export function buildModel(ir: ModelIR): BuiltModel {
  const ctx = new BuildContext(ir);
  const inputs = buildFeatures(ctx);
  for (const node of ir.nodes) buildNode(ctx, node);
  const heads = buildHeads(ctx);

  const taskIndex: Record<string, TaskOutputIndex> = {};
  const logitOutputs: tf.SymbolicTensor[] = [];
  ir.tasks.forEach((task, i) => {
    const logit = heads.logits.get(task.name);
    taskIndex[task.name] = { output: i, logit: logit === undefined ? null : ir.tasks.length + logitOutputs.length };
    if (logit !== undefined) logitOutputs.push(logit);
  });

  const name = layerName(ir.model.name);
  const model = tf.model({ name, inputs, outputs: heads.outputs });
  const trainingModel = tf.model({
    name: `${name}_training`,
    inputs,
    outputs: [...heads.outputs, ...logitOutputs],
  });
  return {
    ir,
    model,
    trainingModel,
    inputNames: ir.features.map((f) => f.name),
    outputNames: ir.tasks.map((t) => t.name),
    taskIndex,
    dropoutSeeds: ctx.dropoutSeeds,
  };
}
