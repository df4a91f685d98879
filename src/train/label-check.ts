import { classCounts, type LabelValues } from "../data/encode/index.js";
import { DataError } from "../data/record.js";
import { editDistance } from "../diagnostics/suggest.js";
import { columnText, isValuesText } from "../syntax/column-text.js";
import type { LabelIR, ValidIR, TaskIR } from "../ir/types.js";

/**
 * The label values of a data file against what the spec and training expect,
 * so that no metric is computed on labels that silently all became 0:
 *
 * - training: declared positive values that never occur (`label click is
 *   "yes"` on a 0/1 column) are an error; any other task whose training rows
 *   hold one class only is a warning: it learns nothing, but a small sample
 *   may legitimately lack the rare class;
 * - evaluation (`mtl eval`, `mtl train --valid`): a value of a declared-values
 *   label that training never saw and that is not declared positive is an
 *   error (UCI Adult's test file writes `>50K.`, its training file `>50K`),
 *   since the model would score every such row as a negative. One class
 *   alone is only a note: a slice of the data may legitimately hold no
 *   positive, but its AUC is undefined and the table says why.
 */

/**
 * Throws a DataError for the first binary task whose declared positive
 * values never occur in `file` (the spec and the file disagree on how the
 * class is spelled); returns a warning for each other task left with one
 * class (a 0/1 column of zeros, a `where` that selects nothing), which can
 * learn nothing but may be a small sample.
 */
export function checkTrainingLabels(ir: ValidIR, labels: Record<string, LabelValues> | undefined, file: string): string[] {
  const warnings: string[] = [];
  for (const task of binaryTasks(ir)) {
    const counts = labels?.[task.name];
    if (!counts) continue;
    const { positives, negatives } = classCounts(counts);
    if (positives > 0 && negatives > 0) continue;
    const label = task.label!;
    const where = scope(task);
    const cannotLearn = "so the task can learn nothing; check the column";
    if (positives + negatives === 0) {
      warnings.push(`task '${task.name}' has no training row: ${describeWhere(task.where!)} on none of the rows, ${cannotLearn} '${task.where!.column}'`);
    } else if (label.positives === null) {
      warnings.push(`task '${task.name}': label column '${label.column}' is ${positives === 0 ? "0" : "1"} on all ${(positives + negatives).toLocaleString("en-US")} training rows${where}, ${cannotLearn}${task.where ? " and the where mask" : ""}`);
    } else if (positives === 0) {
      throw new DataError(file, null, `task '${task.name}': no training row${where} has the positive value ${orList(label.positives)} of label column '${label.column}'; its values are ${describeValues(counts)}`, positiveHint(label, counts), label.column);
    } else {
      warnings.push(`task '${task.name}': every training row${where} has a positive value (${orList(label.positives)}) of label column '${label.column}': ${describeValues(counts)}, ${cannotLearn} and the values after 'is'`);
    }
  }
  return warnings;
}

/**
 * Throws a DataError for the first task whose label in `file` has values
 * training never saw and no positive value; returns, by task name, a note
 * for each task with unseen values or with one class only.
 * `trained` is absent for model folders written before mtl recorded labels:
 * then only the one-class notes are possible.
 */
export function checkEvaluationLabels(ir: ValidIR, trained: Record<string, LabelValues> | undefined, found: Record<string, LabelValues>, file: string): Record<string, string> {
  const notes: Record<string, string> = {};
  for (const task of binaryTasks(ir)) {
    const counts = found[task.name];
    if (!counts) continue;
    const label = task.label!;
    const seen = trained?.[task.name];
    const { positives, negatives } = classCounts(counts);
    const unseen = label.positives !== null && seen && seen.other === 0
      ? Object.entries(counts.values).filter(([v]) => !Object.hasOwn(seen.values, v) && !label.positives!.includes(v))
      : [];
    if (unseen.length > 0 && positives === 0) {
      throw new DataError(
        file,
        null,
        `task '${task.name}': label column '${label.column}' has values training never saw: ${listValues(unseen, 0)}; training saw ${describeValues(seen!)}, and only ${orList(label.positives!)} means 1, so every row${scope(task)} would count as a negative`,
        `if the file spells the classes differently, train with every spelling of the positive class (${likelyPositives(label, seen!, unseen.map(([v]) => v))}), or rewrite the values in ${file}`,
        label.column,
      );
    }
    const parts: string[] = [];
    if (unseen.length > 0) parts.push(`values training never saw count as negatives: ${listValues(unseen, 0)}`);
    if (positives + negatives > 0 && (positives === 0 || negatives === 0)) {
      parts.push(`no ${positives === 0 ? "positive" : "negative"} label among its ${rows(positives + negatives)}, so its AUC is undefined and its other metrics describe one class only`);
    }
    if (parts.length > 0) notes[task.name] = parts.join("; ");
  }
  return notes;
}

function binaryTasks(ir: ValidIR): TaskIR[] {
  return ir.tasks.filter((t) => t.type === "binary" && t.label !== null);
}

/** " where click is 1", or nothing. */
function scope(task: TaskIR): string {
  return task.where ? ` (${describeWhere(task.where)})` : "";
}

function describeWhere(where: LabelIR): string {
  return `where ${where.column} is ${where.positives === null ? "1" : orList(where.positives)}`;
}

/** `'>50K.' (3,846 rows), '<=50K.' (12,435 rows)`, most rows first. */
export function describeValues(counts: LabelValues): string {
  return listValues(Object.entries(counts.values), counts.other);
}

function listValues(values: [string, number][], other: number): string {
  const sorted = [...values].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, 8).map(([v, n]) => `${JSON.stringify(v)} (${rows(n)})`);
  const rest = sorted.slice(8).reduce((sum, [, n]) => sum + n, other);
  return shown.join(", ") + (rest > 0 ? `, and ${rows(rest)} of other values` : "");
}

function rows(n: number): string {
  return `${n.toLocaleString("en-US")} row${n === 1 ? "" : "s"}`;
}

function orList(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(" or ");
}

/** The clause naming `values` as positive: `label income is ">50K" | ">50K."`. */
function clause(label: LabelIR, values: readonly string[]): string {
  return `\`label ${columnText(label.column)} ${isValuesText(values)}\``;
}

/**
 * The declared positives plus each unseen value nearer (by edit distance) to
 * a declared positive than to any value training read as negative: `>50K.`
 * joins `>50K`, `<=50K.` does not.
 */
function likelyPositives(label: LabelIR, seen: LabelValues, unseen: string[]): string {
  const positives = label.positives!;
  const negatives = Object.keys(seen.values).filter((v) => !positives.includes(v));
  const nearest = (v: string, set: string[]) => Math.min(...set.map((s) => editDistance(v, s)));
  const joining = unseen.filter((v) => negatives.length === 0 || nearest(v, positives) < nearest(v, negatives));
  return clause(label, [...positives, ...(joining.length > 0 ? joining : ["..."])]);
}

/** How to name the positive values of a column whose declared ones never occur: the file's value nearest to a declared one. */
function positiveHint(label: LabelIR, counts: LabelValues): string {
  const values = Object.keys(counts.values);
  if (values.length > 0 && values.every((v) => ["0", "1", "true", "false"].includes(v.toLowerCase()))) {
    return `the column holds 0/1 or true/false: drop 'is' (\`label ${columnText(label.column)}\`)`;
  }
  const distance = (v: string) => Math.min(...label.positives!.map((p) => editDistance(v, p)));
  const nearest = [...values].sort((a, b) => distance(a) - distance(b))[0];
  return `name the values that mean 1 as the file writes them${nearest === undefined ? "" : `, e.g. ${clause(label, [nearest])}`}`;
}
