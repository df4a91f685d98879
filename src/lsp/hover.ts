import { isValuesText } from "../syntax/column-text.js";
import type * as L from "vscode-languageserver/node.js";
import type * as A from "../syntax/ast.js";
import { draft } from "../validation/option-types.js";
import type { OptionSchema, ValueType } from "../validation/schema.js";
import { memberRange, type FeatureSym, type Sym, type TaskSym } from "../validation/symbols.js";
import { contains, occurrenceAt, toLspRange, type Analysis } from "./analysis.js";
import { schemaAt } from "./schema-at.js";

export function hover(analysis: Analysis, offset: number): L.Hover | null {
  const occ = occurrenceAt(analysis, offset);
  if (occ) return markdown(describeSymbol(analysis, occ.sym), occ.range);
  const model = analysis.checked.model;
  if (model && contains(model.name.range, offset)) {
    const parts = [code(`model ${model.name.text}${model.description ? ` "${model.description.value}"` : ""}`)];
    if (model.doc) parts.push(model.doc);
    return markdown(parts.join("\n\n"), model.name.range);
  }
  const hit = schemaAt(analysis.checked.ast, offset);
  if (!hit) return null;
  switch (hit.kind) {
    case "ctor":
      return markdown([code(hit.schema.usage), hit.schema.doc].join("\n\n"), hit.range);
    case "option":
      return markdown([code(`${hit.owner}(${hit.name}: ${typeText(hit.schema.type)})`), hit.schema.doc, defaultText(hit.schema)].filter(Boolean).join("\n\n"), hit.range);
    case "value":
      return markdown([code(`${hit.option}: ${hit.word}`), `One of ${typeText(hit.schema.type)}. ${hit.schema.doc}`, defaultText(hit.schema)].filter(Boolean).join("\n\n"), hit.range);
    case "taskType":
      return markdown(
        hit.word === "binary"
          ? "`binary`: a probability, trained with binary cross-entropy (`bce`); labels are 0/1, true/false or `label COLUMN is \"VALUE\"`."
          : "`regression`: a real value, trained with `mse` (default) or `huber(delta: D)`.",
        hit.range,
      );
  }
}

function markdown(value: string, range: A.Range): L.Hover {
  return { contents: { kind: "markdown", value }, range: toLspRange(range) };
}

function code(text: string): string {
  return "```mtl\n" + text + "\n```";
}

function defaultText(schema: OptionSchema): string {
  if (schema.required) return "Required.";
  if (schema.default === undefined) return "";
  return `Default: \`${JSON.stringify(schema.default).replace(/^"(.*)"$/, "$1")}\`.`;
}

export function typeText(type: ValueType): string {
  switch (type.t) {
    case "int":
      return type.min !== undefined && type.max !== undefined ? `integer ${type.min}..${type.max}` : "integer";
    case "number":
      return "number";
    case "bool":
      return "true | false";
    case "string":
      return type.length === 1 ? "one-character string" : "string";
    case "enum":
      return type.values.join(" | ");
    case "ref":
      return type.kinds.join(" | ") + (type.star ? " | *" : "");
    case "column":
      return "column";
    case "list":
      return `[${typeText(type.of)}, ...]`;
    case "ctor":
      return Object.keys(type.ctors).join(" | ");
  }
}

/** The declaration as written (on one line), its doc comment, and what the checker inferred. */
export function describeSymbol(analysis: Analysis, sym: Sym): string {
  const decl = sym.decl;
  let source = analysis.text.slice(decl.range.start.offset, decl.range.end.offset).replace(/\s+/g, " ").trim();
  if (source.length > 160) source = source.slice(0, 157) + "...";
  const parts = [code(source)];
  if (decl.doc) parts.push(decl.doc);
  parts.push(facts(analysis, sym).join("  \n"));
  return parts.join("\n\n---\n\n");
}

const width = (sym: Sym) => (sym.width === undefined ? "unknown (see the diagnostics)" : String(sym.width));

function facts(analysis: Analysis, sym: Sym): string[] {
  const out: string[] = [];
  let uses = sym.references.length;
  switch (sym.kind) {
    case "feature": {
      if (sym.members) {
        const n = sym.members.length;
        const names = (f: (m: FeatureSym) => string) => memberRange(sym.name, n, (i) => `\`${f(sym.members![i - 1]!)}\``);
        out.push(`**feature group** \`${sym.name}\` of ${n}${sym.call ? ` ${sym.call.ctor}` : ""} feature${n === 1 ? "" : "s"}, width ${width(sym)} each`);
        out.push(`features ${names((m) => m.name)}`);
        out.push(`reading columns ${names((m) => m.column)}`);
        const of = sym.call?.ctor === "sequence" ? draft(sym.call.options).of : undefined;
        if (of) out.push(`share the embedding table of \`${of.name.text}\``);
        if (sym.usedByStar) out.push("included by `concat(*)`");
        uses += sym.members.reduce((k, m) => k + m.references.length, 0);
        break;
      }
      out.push(`**feature** \`${sym.name}\`${sym.call ? ` (${sym.call.ctor})` : ""}, width ${width(sym)}`);
      if (sym.group) out.push(`member ${sym.index} of the feature group \`${sym.group.name}\``);
      out.push(`reads column \`${sym.column}\``);
      const of = sym.call?.ctor === "sequence" ? draft(sym.call.options).of : undefined;
      if (of) out.push(`shares the embedding table of \`${of.name.text}\``);
      if (sym.usedByStar || sym.group?.usedByStar) out.push("included by `concat(*)`");
      break;
    }
    case "input":
      out.push(`**input** \`${sym.name}\`, width ${width(sym)}`);
      if (sym.inputs.length) out.push(`concatenates ${sym.inputs.length} input${sym.inputs.length === 1 ? "" : "s"}`);
      break;
    case "expert":
      out.push(sym.count > 1 ? `**expert group** \`${sym.name}\` of ${sym.count} experts, width ${width(sym)} each` : `**expert** \`${sym.name}\`, width ${width(sym)}`);
      if (sym.input) out.push(`input: \`${sym.input.name}\` (width ${width(sym.input)})`);
      if (sym.units) out.push(`layers: [${sym.units.join(", ")}]`);
      break;
    case "tower":
      out.push(`**tower** \`${sym.name}\`, width ${width(sym)}`);
      if (sym.input) out.push(`input: \`${sym.input.name}\` (width ${width(sym.input)})`);
      if (sym.units) out.push(`layers: [${sym.units.join(", ")}]`);
      break;
    case "gate": {
      const experts = sym.experts.reduce((n, e) => n + e.count, 0);
      out.push(`**gate** \`${sym.name}\`, width ${width(sym)}`);
      if (sym.experts.length) out.push(`mixes ${experts} expert${experts === 1 ? "" : "s"} from ${sym.experts.map((e) => `\`${e.name}\`${e.count > 1 ? ` [${e.count}]` : ""}`).join(", ")}`);
      if (sym.input) out.push(`weights from \`${sym.input.name}\``);
      break;
    }
    case "task":
      out.push(...taskFacts(analysis, sym));
      break;
  }
  if (sym.kind !== "task" || uses > 0) out.push(`${uses} reference${uses === 1 ? "" : "s"}`);
  return out;
}

function taskFacts(analysis: Analysis, task: TaskSym): string[] {
  const out = [`**${task.type ?? "task"}${task.type ? " task" : ""}** \`${task.name}\``];
  if (task.factors.length) out.push(`product: ${task.factors.map((f) => `\`${f.name}\``).join(" × ")}`);
  else if (task.head) out.push(`head on \`${task.head.name}\` (width ${width(task.head)})`);
  const decl = task.decl;
  if (decl.label) out.push(`label: column \`${decl.label.column.text}\`${isValues(task.positives)}`);
  else {
    const users = [...analysis.checked.symbols.values()].filter((s): s is TaskSym => s.kind === "task" && s.factors.includes(task));
    out.push(users.length ? `latent: no label, trained through ${users.map((u) => `\`${u.name}\``).join(", ")}` : "latent: no label");
  }
  if (decl.where) out.push(`where: only rows where \`${decl.where.column.text}\`${task.wherePositives ? isValues(task.wherePositives) : " is 1"}`);
  out.push(`weight: ${decl.weight ? decl.weight.text : "1 (default)"}`);
  if (task.loss) out.push(`loss: ${task.loss.ctor}`);
  else if (task.type) out.push(`loss: ${task.type === "binary" ? "bce" : "mse"} (default)`);
  const d = task.debias;
  if (d?.args.propensity) {
    const imputation = d.ctor === "dr" && d.options.imputation ? `, imputed by \`${d.options.imputation.name.text}\`` : "";
    out.push(`debias: ${d.ctor}, every row's loss, the \`where\` rows' divided by \`${d.args.propensity.name.text}\`'s probability (clipped at ${d.options.clip})${imputation}`);
  }
  return out;
}

/** ` is "A" | "B"` as the spec wrote it, or nothing. */
function isValues(values: string[] | undefined): string {
  return values ? ` ${isValuesText(values)}` : "";
}
