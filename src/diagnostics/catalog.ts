import type { Severity } from "./diagnostic.js";

/**
 * Every diagnostic mtl can report, with a stable code. Codes never change
 * meaning once released; retire a code rather than reuse it.
 *
 *   MTL1xxx  text and syntax        MTL4xxx  graph and widths
 *   MTL2xxx  names and declarations MTL5xxx  tasks and labels
 *   MTL3xxx  constructors, options  MTL6xxx  data binding
 *   MTL7xxx  a trained model on data (`mtl inspect`), placed at the declaration in the model's spec.mtl
 *
 * Each message says what is wrong and how to fix it. `hint` arguments carry
 * "Did you mean ...?" suggestions (empty when there is none).
 */
export const CATALOG = {
  // ── text and syntax ────────────────────────────────────────────────────
  MTL1001: entry("error", "unexpected-character", (text: string) =>
    `Unexpected character${text.length > 1 ? "s" : ""} '${text}'. Remove ${text.length > 1 ? "them" : "it"}; names use letters, digits and '_', comments start with '#'.`),
  MTL1002: entry("error", "unterminated-string", () =>
    `Unterminated string. Close it with '"' on the same line.`),
  MTL1003: entry("error", "syntax-error", (expected: string, found: string, hint: string) =>
    `Expected ${expected}, but found ${found}.${hint}`),
  MTL1004: entry("error", "invalid-utf8", (count: number) =>
    `The file is not valid UTF-8 here${count > 1 ? ` (${count} invalid byte sequences in the file)` : ""}. Save the file as UTF-8.`),
  MTL1005: entry("error", "nesting-too-deep", (limit: number) =>
    `Brackets are nested more than ${limit} levels deep; the rest of this expression is ignored. Flatten the expression.`),
  MTL1006: entry("error", "invalid-number", (text: string) =>
    `'${text.length > 40 ? text.slice(0, 40) + "..." : text}' is not a usable number: it is too large to represent. Use a smaller value.`),
  MTL1007: entry("warning", "detached-doc-comment", () =>
    `This doc comment ('##') documents nothing: no declaration starts on the next line. Move it right above a declaration, or use '#' for a plain comment.`),
  MTL1008: entry("error", "non-ascii-name", (name: string, hint: string) =>
    `'${name}' is not a valid name: names use the ASCII letters a-z and A-Z, digits and '_'. Rename it${hint}; a column may be written as a string, "${name}".`),

  // ── names and declarations ─────────────────────────────────────────────
  MTL2001: entry("error", "unknown-name", (name: string, hint: string) =>
    `Cannot find '${name}'. Declare it, or fix the spelling.${hint}`),
  MTL2002: entry("error", "duplicate-name", (name: string) =>
    `'${name}' is declared more than once. Every feature, input, expert, gate, tower and task needs its own name; rename one of them.`),
  MTL2003: entry("error", "wrong-kind", (name: string, actual: string, expected: string) =>
    `'${name}' is ${actual}, but ${expected} is needed here.`),
  MTL2004: entry("error", "missing-model", () =>
    `The spec has no 'model' declaration. Start the file with 'model <name> "<description>"'.`),
  MTL2005: entry("error", "duplicate-singleton", (what: string) =>
    `There is more than one ${what}. Merge them into one.`),
  MTL2006: entry("warning", "unused-declaration", (kind: string, name: string) =>
    `${kind} '${name}' is declared but never used. Use it, or remove it.`),
  MTL2007: entry("error", "group-member-clash", (name: string, group: string, count: number, members: string) =>
    `'${name}' is declared more than once: the feature group '${group}[${count}]' declares the features ${members}, and '${name}' is one of them. Rename the group or the other declaration.`),

  // ── constructors and options ───────────────────────────────────────────
  MTL3001: entry("error", "unknown-constructor", (name: string, where: string, allowed: string, hint: string) =>
    `'${name}' is not a valid ${where}. Use one of: ${allowed}.${hint}`),
  MTL3002: entry("error", "unknown-option", (name: string, owner: string, allowed: string, hint: string) =>
    `'${owner}' has no option '${name}'.${hint || ` Its options are: ${allowed}.`}`),
  MTL3003: entry("error", "missing-option", (name: string, owner: string, example: string) =>
    `'${owner}' needs the option '${name}', e.g. '${example}'.`),
  MTL3004: entry("error", "out-of-range", (what: string, rule: string, value: string) =>
    `${what} must be ${rule}, but is ${value}.`),
  MTL3005: entry("error", "wrong-type", (what: string, expected: string, actual: string) =>
    `${what} must be ${expected}, but is ${actual}.`),
  MTL3006: entry("error", "duplicate-option", (name: string, what: "option" | "clause") =>
    `The ${what} '${name}' is given more than once. Keep one.`),
  MTL3007: entry("error", "conflicting-options", (a: string, b: string, owner: string) =>
    `'${owner}' takes '${a}' or '${b}', not both. Remove one.`),
  MTL3008: entry("error", "wrong-arguments", (owner: string, usage: string) =>
    `Wrong arguments for '${owner}'. Write it as '${usage}'.`),
  MTL3009: entry("error", "invalid-choice", (what: string, value: string, allowed: string, hint: string) =>
    `'${value}' is not a valid ${what}. Use one of: ${allowed}.${hint}`),
  MTL3010: entry("error", "requires-one-of", (a: string, b: string, owner: string, example: string) =>
    `'${owner}' needs either '${a}' or '${b}', e.g. '${example}'.`),
  // MTL3035-3039: task weighting (train.weighting).
  MTL3035: entry("error", "gradnorm-no-shared-network", (tasks: string) =>
    `'gradnorm' measures the tasks' gradients at the last network (expert or tower) that every trained task reads, but ${tasks} share none. Let the tasks' towers read a shared expert or tower, or use 'weighting: dwa', which needs no shared layer.`),
  MTL3036: entry("warning", "weighting-single-task", (weighting: string, task: string) =>
    `'${weighting}' balances the losses of several tasks, but only '${task}' is trained, so its weight stays 1. Use 'weighting: fixed'.`),
  MTL3030: entry("error", "shares-own-table", (name: string) =>
    `'${name}' cannot share its own embedding table. Name another categorical feature after 'shares:', or remove the option.`),
  MTL3031: entry("error", "shares-a-sharing-feature", (target: string, owner: string) =>
    `'${target}' reads the table of '${owner}' itself. Share that table directly: 'shares: ${owner}'.`),
  MTL3032: entry("error", "shared-encoding-differs", (name: string, target: string, what: string, fix: string) =>
    `'${name}' shares the embedding table of '${target}', but its ${what}. One table needs the same ids and width: write ${fix}.`),

  // ── graph and widths ───────────────────────────────────────────────────
  MTL4001: entry("error", "cycle", (path: string) =>
    `These declarations depend on each other in a cycle: ${path}. A model must be a directed acyclic graph; break the cycle.`),
  MTL4002: entry("error", "gate-width-mismatch", (gate: string, name: string, width: number, first: string, firstWidth: number) =>
    `Gate '${gate}' mixes experts of different widths: '${name}' outputs ${width} but '${first}' outputs ${firstWidth}. A gate adds its experts' outputs, so give them the same last layer size.`),
  MTL4003: entry("warning", "gate-single-expert", (gate: string) =>
    `Gate '${gate}' mixes a single expert, so its softmax weight is always 1 and the gate learns nothing. Add experts (e.g. 'expert e[4] = ...'), or use the expert directly.`),
  MTL4004: entry("error", "expert-group-as-value", (name: string, count: number) =>
    `'${name}' is a group of ${count} experts and has no single output. Mix it with a gate ('gate g = softmax(x) over ${name}') and use the gate.`),
  MTL4005: entry("error", "empty-concat", () =>
    `'concat' needs at least one input: name features or nodes, or write 'concat(*)' for all features.`),
  MTL4006: entry("error", "duplicate-expert", (name: string, gate: string) =>
    `'${name}' appears more than once in gate '${gate}'. List each expert group once.`),
  MTL4007: entry("warning", "duplicate-concat-input", (name: string) =>
    `'${name}' is concatenated more than once. Its columns would appear twice; list it once.`),
  MTL4008: entry("error", "feature-group-as-value", (name: string, count: number, members: string) =>
    `'${name}' is a group of ${count} features (${members}) and has no single output. Name one member, like '${name}1', or concatenate the group ('input ${name}_all = concat(${name})') and use the input.`),

  // ── tasks and labels ───────────────────────────────────────────────────
  MTL5001: entry("error", "regression-product", (a: string, b: string) =>
    `'${a} * ${b}' multiplies two regression tasks, which has no probabilistic meaning. A product needs at least one binary task for all but one factor (binary * regression is an expectation).`),
  MTL5002: entry("error", "untrainable-task", (name: string) =>
    `Task '${name}' has no label and no labelled task depends on it, so it can never be trained. Add 'label <column>', or make a labelled task multiply it, as ESMM does: 'task ctcvr : binary = ctr * ${name} label purchase'.`),
  MTL5003: entry("error", "label-leakage", (column: string, feature: string) =>
    `Column '${column}' is a label and also the input of feature '${feature}': the model would see the answer. Remove the feature, or label another column.`),
  // MTL5004 (where-not-binary-label) is retired: `where` may name any 0/1 column of the data.
  MTL5005: entry("error", "positive-on-regression", () =>
    `Only binary tasks declare positive values with 'is'. Remove it, or make the task binary.`),
  MTL5006: entry("error", "no-tasks", () =>
    `The spec declares no task, so there is nothing to predict. Add one, e.g. 'task ctr : binary = ctr_tower label click'.`),
  MTL5007: entry("error", "loss-for-type", (loss: string, type: string, allowed: string) =>
    `A ${type} task cannot use the loss '${loss}'. Use one of: ${allowed}.`),
  MTL5008: entry("error", "self-product", (name: string) =>
    `'${name}' appears twice in this product. Each factor must be a different task.`),
  MTL5009: entry("error", "binary-product-type", (name: string) =>
    `Task '${name}' multiplies factors that include a regression task, so it is a regression (an expectation). Declare it as 'regression'.`),
  MTL5010: entry("error", "product-of-binary-declared-regression", (name: string) =>
    `Task '${name}' multiplies probabilities only, so it is a probability itself. Declare it as 'binary'.`),
  MTL5011: entry("warning", "where-on-own-label", (column: string) =>
    `The task is masked by its own label column '${column}', so every row it trains on is positive. Mask by another column.`),
  MTL5012: entry("error", "where-on-regression-label", (column: string, task: string) =>
    `'where ${column}' masks by the label of regression task '${task}', whose values are not 0/1. Name the values that select a row ('where ${column} is "..."'), or mask by a 0/1 column.`),
  MTL5013: entry("warning", "repeated-label-value", (value: string) =>
    `The value ${JSON.stringify(value)} is listed twice after 'is'. Remove the repeat.`),
  // MTL5020-5029: AITM's information transfer and calibrator (src/validation/transfer.ts).
  MTL5020: entry("error", "transfer-not-binary", (name: string, type: string) =>
    `AITM's transfer ('after') links the steps of a conversion funnel, which are binary tasks, but '${name}' is a ${type} task. Make it binary, or remove the 'after' clause.`),
  MTL5021: entry("error", "transfer-without-head", (name: string) =>
    `'${name}' is a product of tasks, so it has no node of its own for AITM's transfer to come from or go into. Use 'after' between tasks that each read a node ('task cvr : binary = cvr_tower ... after ctr').`),
  MTL5022: entry("error", "transfer-cycle", (path: string) =>
    `The 'after' clauses form a cycle (${path}): a funnel needs a first step. Remove the 'after' clause of the first step.`),
  MTL5023: entry("error", "calibrate-without-after", (name: string) =>
    `'calibrate' keeps task '${name}' below the previous step of its funnel, but the task has no 'after' clause naming that step. Add 'after <task>', or remove 'calibrate'.`),
  MTL5024: entry("warning", "calibrate-conditional", (name: string, column: string, from: string) =>
    `'calibrate' keeps task '${name}' below '${from}' on every row, but '${name}' is trained only 'where ${column}': a probability conditional on ${column} may rightly exceed '${from}''s. Train it on every row (remove 'where'), or remove 'calibrate'.`),
  MTL5040: entry("error", "sample-weight-on-latent-task", (task: string) =>
    `Task '${task}' has no label, so it has no loss of its own to weigh: it trains through the products that use it. Put 'sample_weight' on the labelled task instead.`),
  MTL5041: entry("error", "sample-weight-is-label", (column: string, clause: string) =>
    `Column '${column}' is this task's ${clause} column; as a sample weight it would weigh each row by its own ${clause === "label" ? "label, dropping every negative" : "mask, which 'where' applies already"}. Name the column that holds the row weights.`),
  MTL5042: entry("error", "sample-weight-with-debias", (task: string, column: string, where: string) =>
    `Task '${task}' is debiased, which reweights its rows by the propensity over every row, and is also weighted by column '${column}' (${where}); mtl cannot combine the two weightings yet. Remove 'debias', or the sample weight from this task.`),
  MTL5043: entry("warning", "sample-weight-is-input", (column: string, feature: string) =>
    `Column '${column}' weighs each row's loss and is also the input of feature '${feature}': a weight that is also an input lets the model see its own loss weight, so it can learn which rows count rather than what they predict. Remove the feature, or weigh the rows by another column.`),
  // MTL5030-5039: ESCM²'s `debias` clause (src/validation/debias.ts).
  MTL5030: entry("error", "debias-without-where", (name: string) =>
    `Task '${name}' has 'debias' but no 'where': debiasing reweights the rows a 'where' selects (the clicks) to stand for every row. Add 'where <click column>', or remove 'debias'.`),
  MTL5031: entry("error", "debias-not-binary-label", (name: string) =>
    `Task '${name}' has 'debias', which needs a binary task with a label of its own (the CVR task, 'label purchase where click'). Make it binary and labelled, or remove 'debias'.`),
  MTL5032: entry("error", "propensity-not-binary", (name: string) =>
    `The propensity '${name}' must be a binary task with a label: its predicted probability of being selected is what each row's loss is divided by. Name the CTR task, e.g. 'debias ips(ctr)'.`),
  MTL5033: entry("error", "propensity-not-where-label", (name: string, column: string, hint: string) =>
    `The propensity '${name}' does not predict the 'where' column '${column}', so its probability is not the probability of a row being selected. ${hint}`),
  MTL5034: entry("error", "propensity-with-where", (name: string) =>
    `The propensity '${name}' has a 'where' of its own, so it is not trained on every row and its probabilities do not hold on the rows it never sees. Remove its 'where'.`),
  MTL5035: entry("error", "imputation-wrong-kind", (name: string) =>
    `The imputation '${name}' must be a regression task on a network with no label, used nowhere else (e.g. 'task ${name} : regression = imp_tower'): the DR loss alone trains it to predict each row's loss.`),
  MTL5036: entry("error", "imputation-shared", (name: string, other: string) =>
    `The imputation '${name}' is already the imputation of task '${other}'; one imputation task learns one task's loss. Declare another task for this one.`),

  // ── data binding ───────────────────────────────────────────────────────
  MTL6001: entry("error", "unknown-column", (column: string, hint: string) =>
    `Column '${column}' is not in the data section's 'columns' list. Add it there, or fix the spelling.${hint}`),
  MTL6002: entry("error", "duplicate-column", (column: string) =>
    `Column '${column}' is listed more than once in 'columns'. Column names must be unique.`),
  MTL6003: entry("error", "columns-required", () =>
    `A CSV file without a header needs the column names: add 'columns: [a, b, ...]' to the data section.`),
  MTL6004: entry("warning", "columns-ignored", (format: string) =>
    `'columns' is ignored for ${format} files, which name their own columns. Remove it.`),

  // ── a trained model on data (mtl inspect) ──────────────────────────────
  MTL7001: entry("warning", "gate-collapsed", (gate: string, expert: string, weight: string, share: string, rows: string, effective: string, experts: number, tasks: string) =>
    `Gate '${gate}' has collapsed onto expert ${expert}: it gives it at least ${weight} of its weight on ${share} of ${rows} rows (effective experts ${effective} of ${experts}). Its other experts do nothing for ${tasks}; train with a lower learning rate, or use fewer experts.`),
  MTL7002: entry("warning", "gates-identical", (gates: string, distance: string, threshold: string) =>
    `Gates ${gates} weigh their experts almost identically: on average their weights differ by at most ${distance} (total-variation distance, below ${threshold}). The model behaves as one shared gate (OMoE), so its tasks do not use the experts differently; if they should, train longer, or give the gates their own inputs.`),
} as const satisfies Record<string, CatalogEntry>;

export type DiagnosticCode = keyof typeof CATALOG;

export interface CatalogEntry {
  severity: Severity;
  /** A short, stable, kebab-case id (used as a SARIF rule id beside the code). */
  id: string;
  message: (...args: never[]) => string;
}

function entry<F extends (...args: never[]) => string>(severity: Severity, id: string, message: F) {
  return { severity, id, message };
}
