/**
 * The one gate into the back ends. `parseIr` checks a value's shape against
 * the IR's JSON Schema (schema.ts) and then what a schema cannot say: every
 * name an IR uses is declared, and declared before its user; widths agree;
 * tasks are in order and their types, losses, masks and evaluation fit. What
 * passes is a `ValidIR`, the only IR a back end accepts, so back ends do not
 * re-check these invariants. Problems are data: a list of {path, message}.
 */
import type { ErrorObject } from "ajv";
import { LOSSES_BY_TYPE } from "../validation/schema.js";
import { gradNormNodes } from "./gradnorm-layer.js";
import { shapeValidator } from "./shape-check.js";
import type { FeatureIR, ModelIR, NodeIR, TaskIR, ValidIR } from "./types.js";
import { irWidths } from "./widths.js";

export interface IrProblem {
  /** JSON Pointer to the offending value, e.g. `/tasks/0/weight`. */
  path: string;
  message: string;
}

/** The former name, kept for callers that only list problems. */
export type IrViolation = IrProblem;

export type IrParse = { ok: true; ir: ValidIR } | { ok: false; problems: IrProblem[] };

/** Checks any value: shape first, then, on a well-formed IR, its cross-references. */
export function parseIr(raw: unknown): IrParse {
  const validate = shapeValidator();
  if (!validate(raw)) return { ok: false, problems: simplify(validate.errors ?? []) };
  const problems = crossReferences(raw as ModelIR);
  return problems.length ? { ok: false, problems } : { ok: true, ir: raw as ValidIR };
}

/** The problems of any value; an empty list means it is a valid IR. */
export function validateIr(raw: unknown): IrProblem[] {
  const result = parseIr(raw);
  return result.ok ? [] : result.problems;
}

/** The first problem in one line, for a message naming the file: "/tasks/1/weight: must be >= 0". */
export function firstProblem(problems: readonly IrProblem[]): string {
  const p = problems[0];
  return p === undefined ? "no problem" : `${p.path || "/"}: ${p.message}`;
}

/** Same, for IR the compiler itself produced: a problem is a compiler bug. */
export function assertValidIr(ir: ModelIR): ValidIR {
  const result = parseIr(ir);
  if (!result.ok) {
    throw new Error(`the compiler produced an invalid IR:\n${result.problems.map((v) => `  ${v.path || "/"}: ${v.message}`).join("\n")}`);
  }
  return result.ir;
}

/**
 * Tagged unions are written as if/then on their discriminator, so ajv reports
 * the real problem inside the matching branch; drop its "must match then"
 * summaries, which only repeat that.
 */
function simplify(errors: ErrorObject[]): IrProblem[] {
  const seen = new Set<string>();
  const out: IrProblem[] = [];
  for (const e of errors) {
    if (e.keyword === "if") continue;
    const message =
      e.keyword === "additionalProperties"
        ? `unexpected property '${(e.params as { additionalProperty: string }).additionalProperty}'`
        : (e.message ?? "is invalid");
    const key = `${e.instancePath}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path: e.instancePath, message });
  }
  return out;
}

/** What a value name stands for while the network is read in order. */
type Value = { kind: "feature"; feature: FeatureIR } | { kind: "block" } | { kind: "node"; node: NodeIR };

function crossReferences(ir: ModelIR): IrProblem[] {
  const problems: IrProblem[] = [];
  const report = (path: string, message: string) => problems.push({ path, message });

  // Features, nodes and tasks share one namespace: they name the model's inputs, layers and outputs.
  const declared = new Map<string, string>();
  const declare = (name: string, path: string) => {
    const first = declared.get(name);
    if (first !== undefined) report(`${path}/name`, `'${name}' is declared twice (first at ${first})`);
    else declared.set(name, path);
  };
  const tables = new Map<string, number>();
  ir.tables.forEach((t, i) => {
    if (tables.has(t.name)) report(`/tables/${i}/name`, `table '${t.name}' is declared twice`);
    else tables.set(t.name, i);
  });

  const values = new Map<string, Value>();
  ir.features.forEach((f, i) => {
    declare(f.name, `/features/${i}`);
    values.set(f.name, { kind: "feature", feature: f });
  });
  const encodingOfTable = new Map<string, Extract<FeatureIR, { kind: "categorical" }>>();
  ir.features.forEach((f, i) => {
    const at = `/features/${i}`;
    if (f.kind === "numeric") return;
    const t = tables.get(f.table);
    if (t === undefined) return report(`${at}/table`, `table '${f.table}' is not declared`);
    if (f.kind === "categorical") {
      const rows = f.encoding.type === "hash" ? f.encoding.buckets : f.encoding.vocab.length + 1;
      if (ir.tables[t]!.rows !== rows) report(`/tables/${t}/rows`, `table '${f.table}' has ${ir.tables[t]!.rows} rows, but feature '${f.name}' produces ids in [0, ${rows})`);
      // Features sharing a table must give a value the same row: equal row counts are not enough for two vocabularies.
      const first = encodingOfTable.get(f.table);
      if (first === undefined) encodingOfTable.set(f.table, f);
      else if (JSON.stringify(first.encoding) !== JSON.stringify(f.encoding)) {
        report(`${at}/encoding`, `features '${first.name}' and '${f.name}' share table '${f.table}' but encode their values differently`);
      }
      return;
    }
    const of = ir.features.find((o) => o.name === f.of);
    if (of?.kind !== "categorical") report(`${at}/of`, `'${f.of}' is not a categorical feature`);
    else if (of.table !== f.table) report(`${at}/table`, `a sequence shares the table of the feature it is 'of': '${of.table}', not '${f.table}'`);
  });

  // A block's features are read through the block only, by the one concat that lists it: they are not inputs of their own.
  const inBlock = new Map<string, string>();
  ir.numericBlocks.forEach((block, i) => {
    const at = `/numericBlocks/${i}`;
    declare(block.name, at);
    block.features.forEach((name, k) => {
      const value = values.get(name);
      if (value?.kind !== "feature" || value.feature.kind !== "numeric") return report(`${at}/features/${k}`, `'${name}' is not a numeric feature`);
      const other = inBlock.get(name);
      if (other !== undefined) return report(`${at}/features/${k}`, `feature '${name}' is already in numeric block '${other}'`);
      inBlock.set(name, block.name);
    });
    values.set(block.name, { kind: "block" });
  });
  const blockReaders = new Map<string, number>();

  const widths = irWidths(ir);
  /** A name an input reads: a feature or an earlier node, not a group of several experts (only a gate mixes those). */
  const single = (name: string, path: string) => {
    const value = values.get(name);
    if (value?.kind === "block") return report(path, `'${name}' is a numeric block; only an input's concatenation reads one`);
    if (value === undefined) report(path, `'${name}' is not a feature or an earlier node`);
    else if (inBlock.has(name)) report(path, `feature '${name}' is in numeric block '${inBlock.get(name)}': read the block instead`);
    else if (value.kind === "node" && value.node.op === "mlp" && value.node.count > 1) report(path, `'${name}' is a group of ${value.node.count} experts; only a gate can mix a group`);
  };
  ir.nodes.forEach((node, i) => {
    const at = `/nodes/${i}`;
    switch (node.op) {
      case "concat":
        node.inputs.forEach((name, k) => {
          const path = `${at}/inputs/${k}`;
          if (values.get(name)?.kind !== "block") return single(name, path);
          blockReaders.set(name, (blockReaders.get(name) ?? 0) + 1);
          if (blockReaders.get(name) === 2) report(path, `numeric block '${name}' is read twice: a block belongs to one input`);
        });
        break;
      case "mlp":
        single(node.input, `${at}/input`);
        break;
      case "gate": {
        single(node.input, `${at}/input`);
        let count = 0;
        node.experts.forEach((name, k) => {
          const value = values.get(name);
          if (value?.kind !== "node" || value.node.op !== "mlp") return report(`${at}/experts/${k}`, `'${name}' is not an earlier expert`);
          count += value.node.count;
          const width = widths.get(name)!;
          const first = widths.get(node.experts[0]!);
          if (k > 0 && width !== first) report(`${at}/experts/${k}`, `expert '${name}' has width ${width}, but '${node.experts[0]}' has ${first}: a gate mixes experts of one width`);
        });
        if (count > 0 && count !== node.numExperts) report(`${at}/numExperts`, `the groups hold ${count} experts, not ${node.numExperts}`);
        break;
      }
    }
    declare(node.name, at);
    values.set(node.name, { kind: "node", node });
  });
  ir.numericBlocks.forEach((block, i) => {
    if (!blockReaders.has(block.name)) report(`/numericBlocks/${i}/name`, `numeric block '${block.name}' is read by no input`);
  });

  const all = new Map(ir.tasks.map((t) => [t.name, t]));
  const earlier = new Map<string, TaskIR>();
  ir.tasks.forEach((task, i) => {
    const at = `/tasks/${i}`;
    declare(task.name, at);
    checkTask(task, at, earlier, single, report);
    checkMask(task, at, all, report);
    checkEvaluation(task, at, all, report);
    checkTransfer(task, at, earlier, report);
    checkDebias(task, at, all, report);
    earlier.set(task.name, task);
  });
  // Only once every name resolves: the walk follows the nodes' inputs.
  const weighting = ir.train.weighting;
  if (problems.length === 0 && typeof weighting === "object" && weighting.type === "gradnorm" && gradNormNodes(ir).length === 0) {
    report("/train/weighting", "gradnorm needs a network (expert or tower) that every trained task reads, and the tasks share none");
  }
  return problems;
}

type Report = (path: string, message: string) => void;

function checkTask(task: TaskIR, at: string, earlier: ReadonlyMap<string, TaskIR>, single: (name: string, path: string) => void, report: Report): void {
  if (task.head.op === "dense") {
    single(task.head.input, `${at}/head/input`);
  } else {
    const seen = new Set<string>();
    let regressions = 0;
    task.head.factors.forEach((name, k) => {
      const factor = earlier.get(name);
      if (factor === undefined) return report(`${at}/head/factors/${k}`, `'${name}' is not an earlier task`);
      if (seen.has(name)) report(`${at}/head/factors/${k}`, `'${name}' is multiplied twice`);
      seen.add(name);
      if (factor.type === "regression") regressions++;
    });
    // binary * binary is a probability; one regression factor scales it into a value; two are not a product mtl trains.
    const type = regressions === 0 ? "binary" : "regression";
    if (regressions > 1) report(`${at}/head/factors`, "at most one factor may be a regression task");
    else if (seen.size === task.head.factors.length && task.type !== type) report(`${at}/type`, `a product of these factors is ${type}, not ${task.type}`);
  }
  if (!LOSSES_BY_TYPE[task.type]!.includes(task.loss.type)) report(`${at}/loss/type`, `a ${task.type} task takes ${LOSSES_BY_TYPE[task.type]!.join(" or ")}, not ${task.loss.type}`);
  if (task.type === "regression" && task.label?.positives) report(`${at}/label/positives`, "a regression label has no positive values");
}

/** AITM's transfer links two dense binary tasks, the one it comes from earlier in the list (so the links cannot cycle). */
function checkTransfer(task: TaskIR, at: string, earlier: ReadonlyMap<string, TaskIR>, report: Report): void {
  if (task.transfer === undefined) return;
  if (task.head.op !== "dense" || task.type !== "binary") report(`${at}/transfer`, "only a dense binary task receives a transfer");
  const from = earlier.get(task.transfer.from);
  if (from?.head.op !== "dense" || from.type !== "binary") report(`${at}/transfer/from`, `'${task.transfer.from}' is not an earlier dense binary task`);
}

/** A mask that is a task's label says which task, and then repeats that label exactly. */
function checkMask(task: TaskIR, at: string, tasks: ReadonlyMap<string, TaskIR>, report: Report): void {
  const mask = task.where;
  if (mask !== null && mask.task !== null) {
    const owner = tasks.get(mask.task);
    if (owner?.type !== "binary" || owner.label === null) report(`${at}/where/task`, `'${mask.task}' is not a labelled binary task`);
    else if (owner.label.column !== mask.column || JSON.stringify(owner.label.positives) !== JSON.stringify(mask.positives)) {
      report(`${at}/where`, `the mask is task '${mask.task}''s label, so its column and positives must be that label's`);
    }
  }
}

/**
 * ESCM²'s debias (src/runtime/loss/debias.ts): a labelled binary task with a
 * mask, whose propensity is the task labelling that mask over every row, and
 * whose imputation is a latent regression head of its own.
 */
function checkDebias(task: TaskIR, at: string, tasks: ReadonlyMap<string, TaskIR>, report: Report): void {
  const debias = task.debias;
  if (debias === undefined) return;
  if (task.type !== "binary" || task.label === null || task.where === null) report(`${at}/debias`, "a debiased task is a labelled binary task with a mask");
  // Sample weights travel in the mask, which the debiased loss reads as the selection.
  if (task.sampleWeight !== undefined) report(`${at}/debias`, "a debiased task cannot also have a sample weight");
  const propensity = tasks.get(debias.propensity);
  if (propensity?.type !== "binary" || propensity.label === null || propensity.where !== null) {
    report(`${at}/debias/propensity`, `'${debias.propensity}' is not a labelled binary task without a mask`);
  } else if (task.where?.task !== debias.propensity) {
    report(`${at}/debias/propensity`, `'${debias.propensity}' does not label the task's mask`);
  }
  if (debias.type === "dr") {
    const imputation = tasks.get(debias.imputation);
    const factorOf = [...tasks.values()].some((t) => t.head.op === "product" && t.head.factors.includes(debias.imputation));
    if (imputation?.type !== "regression" || imputation.label !== null || imputation.where !== null || imputation.head.op !== "dense" || factorOf || imputation === task) {
      report(`${at}/debias/imputation`, `'${debias.imputation}' is not a latent regression task with a head of its own`);
    }
  }
}

function checkEvaluation(task: TaskIR, at: string, tasks: ReadonlyMap<string, TaskIR>, report: Report): void {
  const evaluation = task.evaluation;
  if (evaluation === null) {
    if (task.label !== null) report(`${at}/evaluation`, "a labelled task is scored against its label");
    return;
  }
  if (task.label !== null && (evaluation.label !== task.name || evaluation.given.length > 0)) {
    report(`${at}/evaluation`, "a labelled task is scored against its own label, on every row its mask selects");
  }
  if (tasks.get(evaluation.label)?.label == null) report(`${at}/evaluation/label`, `'${evaluation.label}' is not a labelled task`);
  evaluation.given.forEach((name, k) => {
    const given = tasks.get(name);
    if (given?.type !== "binary" || given.label === null) report(`${at}/evaluation/given/${k}`, `'${name}' is not a labelled binary task`);
  });
}
