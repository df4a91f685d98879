/**
 * Task heads. A dense head is a one-unit Dense giving a logit (binary, then a
 * sigmoid) or a value (regression); a product head multiplies the outputs of
 * earlier tasks. Each task's output layer carries the task's name.
 */
import * as tf from "@tensorflow/tfjs";
import type { TaskIR } from "../../ir/types.js";
import { BuildContext, expectWidth } from "./context.js";
import { names } from "./names.js";

export interface HeadOutputs {
  /** Per task, in IR order: probability (binary) or value (regression). */
  outputs: tf.SymbolicTensor[];
  /** Dense binary tasks only: the pre-sigmoid logit. */
  logits: Map<string, tf.SymbolicTensor>;
}

export function buildHeads(ctx: BuildContext): HeadOutputs {
  const byTask = new Map<string, tf.SymbolicTensor>();
  const logits = new Map<string, tf.SymbolicTensor>();
  for (const task of ctx.ir.tasks) {
    const user = `task '${task.name}'`;
    if (byTask.has(task.name)) throw new Error(`${user} is declared twice`);
    const outputName = ctx.registry.claim(task.name, `the output of ${user}`);
    let out: tf.SymbolicTensor;
    if (task.head.op === "dense") {
      const headName = ctx.registry.claim(names.taskHead(task.name), user);
      const raw = tf.layers
        .dense({
          name: headName,
          units: 1,
          kernelInitializer: ctx.kernelInitializer(headName),
          biasInitializer: "zeros",
        })
        .apply(ctx.single(task.head.input, user)) as tf.SymbolicTensor;
      if (task.type === "binary") logits.set(task.name, raw);
      // A named identity for regression keeps the head's weights under
      // task_<name>_head for both task types.
      out = tf.layers
        .activation({ name: outputName, activation: task.type === "binary" ? "sigmoid" : "linear" })
        .apply(raw) as tf.SymbolicTensor;
    } else {
      const factors = productFactors(ctx.ir.tasks, task).map((f) => byTask.get(f)!);
      out =
        factors.length === 1
          ? (tf.layers.activation({ name: outputName, activation: "linear" }).apply(factors[0]!) as tf.SymbolicTensor)
          : (tf.layers.multiply({ name: outputName }).apply(factors) as tf.SymbolicTensor);
    }
    expectWidth(out, 1, user);
    byTask.set(task.name, out);
  }
  return { outputs: ctx.ir.tasks.map((t) => byTask.get(t.name)!), logits };
}

/** Checks a product's factors are earlier tasks of compatible types. */
function productFactors(tasks: TaskIR[], task: TaskIR): string[] {
  if (task.head.op !== "product") return [];
  const user = `task '${task.name}'`;
  const position = tasks.indexOf(task);
  if (task.head.factors.length === 0) throw new Error(`${user} is a product of nothing`);
  for (const name of task.head.factors) {
    const index = tasks.findIndex((t) => t.name === name);
    if (index < 0) throw new Error(`${user} multiplies '${name}', which is not a task`);
    if (index >= position) throw new Error(`${user} multiplies '${name}', which must come before it`);
    if (task.type === "binary" && tasks[index]!.type !== "binary") {
      throw new Error(`${user} is binary, so its factor '${name}' must be binary too (a probability)`);
    }
  }
  return task.head.factors;
}
