import type { TaskIR } from "./types.js";
import { withEvaluation } from "./evaluation.js";
import { withNumericBlocks } from "./blocks.js";
import type { FeatureIR, NodeIR } from "./types.js";
import { parseIr, type IrParse } from "./validate.js";

/**
 * Reads an IR saved by an older mtl as the current version, so model folders
 * and checkpoints trained before a version bump keep working. Anything that
 * is not a recognised older IR is returned as it is, for the gate to judge.
 *
 * Version 1 -> 2: a label or `where` held one `positive` string (or null);
 * version 2 holds `positives`, a list, for `label C is "A" | "B"`.
 *
 * Version 2 -> 3: features and nodes no longer state a `width` (it follows
 * from the tables' `dim` and the units, see widths.ts); a `where` names the
 * task whose label it is (`task`); each task says how it is evaluated
 * (`evaluation`), as evaluation used to work it out; networks and gates
 * state their `init`, and every version 2 model was glorot_uniform; the
 * numeric features an `input` concatenates form blocks as lowering forms them
 * (blocks.ts), so a spec and the model trained from it have one IR. (A model
 * folder's model.json still reads the features one by one: loading maps its
 * weights onto the blocked graph, src/model-dir/folder.ts.)
 *
 * Version 3 -> 4: version 4 added fields a version 3 IR has none of (a
 * task's AITM `transfer`, ESCM² `debias` and `sampleWeight`, object
 * weightings such as gradnorm and dwa), and nothing a version 3 IR states
 * changed meaning, so only the number changes. The bump lets an mtl that
 * predates them refuse a version 4 IR by its version, not by a field it
 * does not know.
 */
export function upgradeIr(raw: unknown): unknown {
  let ir = raw;
  if (isObject(ir) && ir["irVersion"] === 1 && Array.isArray(ir["tasks"])) ir = oneToTwo(ir, ir["tasks"]);
  if (isObject(ir) && ir["irVersion"] === 2 && Array.isArray(ir["tasks"]) && Array.isArray(ir["features"]) && Array.isArray(ir["nodes"])) {
    ir = twoToThree(ir, ir["tasks"], ir["features"], ir["nodes"]);
  }
  if (isObject(ir) && ir["irVersion"] === 3) ir = { ...ir, irVersion: 4 };
  return ir;
}

/** An IR read from a file: upgraded, then through the gate. */
export function loadIr(raw: unknown): IrParse {
  return parseIr(upgradeIr(raw));
}

function oneToTwo(ir: Record<string, unknown>, tasks: unknown[]): Record<string, unknown> {
  const upgraded = tasks.map((task: unknown) => {
    if (!isObject(task)) return task;
    return { ...task, label: upgradeLabel(task["label"]), where: upgradeLabel(task["where"]) };
  });
  return { ...ir, irVersion: 2, tasks: upgraded };
}

function upgradeLabel(label: unknown): unknown {
  if (!isObject(label) || !("positive" in label)) return label;
  const { positive, ...rest } = label;
  return { ...rest, positives: typeof positive === "string" ? [positive] : positive };
}

function twoToThree(ir: Record<string, unknown>, tasks: unknown[], features: unknown[], nodes: unknown[]): Record<string, unknown> {
  // Anything malformed is passed on untouched: the gate reports it at its path.
  if (!tasks.every(isTask)) return ir;
  const withoutWidth = (item: unknown) => {
    if (!isObject(item)) return item;
    const { width: _width, ...rest } = item;
    return rest;
  };
  const withInit = (node: unknown) => (isObject(node) && (node["op"] === "mlp" || node["op"] === "gate") ? { init: "glorot_uniform", ...node } : node);
  const masked = tasks.map((task) => ({ ...task, where: task.where && { ...task.where, task: labelOwner(tasks, task.where) } }));
  const upgradedFeatures = features.map(withoutWidth);
  const upgradedNodes = nodes.map((node) => withInit(withoutWidth(node)));
  const blocks = wellFormed(upgradedFeatures, upgradedNodes) ? withNumericBlocks(upgradedFeatures as FeatureIR[], upgradedNodes as NodeIR[], masked) : { nodes: upgradedNodes, numericBlocks: [] };
  return { ...ir, irVersion: 3, features: upgradedFeatures, numericBlocks: blocks.numericBlocks, nodes: blocks.nodes, tasks: withEvaluation(masked) };
}

/** Enough shape to form blocks from; anything else is left for the gate to report. */
function wellFormed(features: unknown[], nodes: unknown[]): boolean {
  const named = (x: unknown): x is Record<string, unknown> => isObject(x) && typeof x["name"] === "string";
  const readsNames = (n: Record<string, unknown>) => n["op"] !== "concat" || (Array.isArray(n["inputs"]) && n["inputs"].every((i) => typeof i === "string"));
  return features.every((f) => named(f) && typeof f["kind"] === "string") && nodes.every((n) => named(n) && readsNames(n));
}

type OldTask = Omit<TaskIR, "evaluation" | "where"> & { where: { column: string; positives: string[] | null } | null };

function isTask(task: unknown): task is OldTask {
  if (!isObject(task) || !isObject(task["head"]) || typeof task["name"] !== "string") return false;
  const label = (value: unknown) => value === null || (isObject(value) && typeof value["column"] === "string");
  return label(task["label"]) && label(task["where"]);
}

/** The binary task whose label a version 2 `where` repeats, as the checker now records it. */
function labelOwner(tasks: OldTask[], where: { column: string; positives: string[] | null }): string | null {
  const owner = tasks.find((t) => t.type === "binary" && t.label?.column === where.column);
  return owner && JSON.stringify(owner.label!.positives) === JSON.stringify(where.positives) ? owner.name : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
