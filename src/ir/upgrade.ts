import { IR_VERSION } from "./types.js";

/**
 * Reads an IR saved by an older mtl as the current version, so model folders
 * and checkpoints trained before a version bump keep working. Anything that
 * is not a recognised older IR is returned as it is, for the schema to judge.
 *
 * Version 1 -> 2: a label or `where` held one `positive` string (or null);
 * version 2 holds `positives`, a list, for `label C is "A" | "B"`.
 */
export function upgradeIr(raw: unknown): unknown {
  if (!isObject(raw) || raw["irVersion"] !== 1 || !Array.isArray(raw["tasks"])) return raw;
  const tasks = raw["tasks"].map((task: unknown) => {
    if (!isObject(task)) return task;
    return { ...task, label: upgradeLabel(task["label"]), where: upgradeLabel(task["where"]) };
  });
  return { ...raw, irVersion: IR_VERSION, tasks };
}

function upgradeLabel(label: unknown): unknown {
  if (!isObject(label) || !("positive" in label)) return label;
  const { positive, ...rest } = label;
  return { ...rest, positives: typeof positive === "string" ? [positive] : positive };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
