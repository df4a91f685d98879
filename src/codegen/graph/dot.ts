import { columnText, isValuesText } from "../../syntax/column-text.js";
import type { FeatureIR, GateNodeIR, LabelIR, MlpNodeIR, ValidIR, NodeIR, TaskIR } from "../../ir/types.js";
import { irWidths } from "../../ir/widths.js";
import { concatReads } from "../../ir/blocks.js";
import { grouped, html, quoted, tooltip } from "./escape.js";

/**
 * The graph back end: a ValidIR as a Graphviz DOT digraph, laid out left to
 * right (features on the left, tasks on the right), so that a spec with dozens
 * of features stays a tall column instead of a very wide row.
 *
 * Every edge is labelled with the width of what flows along it; an expert
 * group feeding a gate carries `count × width`. Task products (`ctcvr = ctr *
 * cvr`) are dashed edges into a small "×" node. The output depends on the IR
 * only, in the IR's own order, so the same IR always gives the same bytes.
 */

/** One colour pair (fill, border) per role; text is always dark grey. */
const PALETTE = {
  feature: { fill: "#E8F0FE", line: "#4A6FA5" },
  table: { fill: "#F1F3F4", line: "#80868B" },
  input: { fill: "#FEF7E0", line: "#B08800" },
  expert: { fill: "#E6F4EA", line: "#2E7D32" },
  gate: { fill: "#F3E8FD", line: "#7B1FA2" },
  tower: { fill: "#FCE8D9", line: "#C25E00" },
  binary: { fill: "#D2E3FC", line: "#1A57B8" },
  regression: { fill: "#CEEAD6", line: "#137333" },
  product: { fill: "#FFFFFF", line: "#5F6368" },
} as const;

const TEXT = "#202124";
const MUTED = "#5F6368";
/**
 * Graphviz knows DejaVu Sans's metrics, which are wider than Helvetica's and
 * Arial's, so boxes sized for it never clip when a viewer substitutes one of
 * those (svg.ts lists them as fallbacks in the SVG).
 */
export const FONT = "DejaVu Sans";

/** DOT node IDs, one namespace per kind so a task and a node may share a name. */
const ids = {
  feature: (name: string) => quoted(`feature:${name}`),
  table: (name: string) => quoted(`table:${name}`),
  node: (name: string) => quoted(`node:${name}`),
  task: (name: string) => quoted(`task:${name}`),
  product: (name: string) => quoted(`product:${name}`),
  /** The one node holding all features when there are too many for a node each. */
  grid: quoted("features"),
};

/**
 * Up to this many features, each is its own node in one row; beyond it (census
 * has 36) they are the cells of one grid in the cluster, FEATURE_GRID_COLUMNS
 * wide, and each consumer gets a single edge carrying their summed width.
 */
export const MAX_FEATURE_NODES = 8;
export const FEATURE_GRID_COLUMNS = 4;

export interface DotOptions {
  /** `TB` (top to bottom, the default) or `LR` (left to right). */
  direction?: "TB" | "LR";
}

export function renderDot(ir: ValidIR, options: DotOptions = {}): string {
  const direction = options.direction ?? "TB";
  const grid = ir.features.length > MAX_FEATURE_NODES;
  const out: string[] = [];
  const features = new Map(ir.features.map((f) => [f.name, f]));
  const nodes = new Map(ir.nodes.map((n) => [n.name, n]));
  const widths = irWidths(ir);
  const width = (name: string) => widths.get(name)!;
  /** The DOT ID and width of whatever a node or head reads: a feature or a node. */
  const source = (name: string): { id: string; width: number; count: number } => {
    const node = nodes.get(name);
    if (node) return { id: ids.node(name), width: width(name), count: node.op === "mlp" ? node.count : 1 };
    // Not a node, so a feature: the gate (src/ir/validate.ts) lets no other name through.
    return { id: grid ? ids.grid : ids.feature(name), width: width(name), count: 1 };
  };

  out.push(`digraph ${quoted(ir.model.name)} {`);
  out.push(
    `  graph [rankdir=${direction}, newrank=true, ordering=out, fontname=${quoted(FONT)}, fontsize=13, fontcolor=${quoted(TEXT)}, bgcolor="white", pad="0.3", nodesep="0.22", ranksep="0.55", labelloc=t, labeljust=l, label=${title(ir)}${ir.model.doc ? `, tooltip=${tooltip(ir.model.doc)}` : ""}];`,
  );
  out.push(`  node [fontname=${quoted(FONT)}, fontsize=11, fontcolor=${quoted(TEXT)}, shape=box, style="rounded,filled", penwidth=1.2, margin="0.12,0.06"];`);
  out.push(`  edge [fontname=${quoted(FONT)}, fontsize=10, fontcolor=${quoted(MUTED)}, color=${quoted(MUTED)}, arrowsize=0.7, penwidth=1.1];`);
  out.push("");

  // Features, and the embedding tables that sequences share, in one cluster.
  const shared = sharedTables(ir);
  out.push(`  subgraph "cluster_features" {`);
  out.push(`    graph [label=<<b>features</b>>, labeljust=l, fontsize=12, style="rounded,filled", fillcolor="#FAFBFD", color="#C5D3E8", margin=10];`);
  if (grid) {
    out.push(`    ${ids.grid} [shape=plain, style="", label=${featureGrid(ir.features, widths)}, tooltip=${tooltip(`${ir.features.length} features`)}];`);
  } else {
    for (const table of ir.tables) {
      if (!shared.has(table.name)) continue;
      out.push(
        `    ${ids.table(table.name)} [shape=cylinder, style=filled, fillcolor=${quoted(PALETTE.table.fill)}, color=${quoted(PALETTE.table.line)}, label=${rows(`<b>${html(table.name)}</b> table`, small(`${grouped(table.rows)} × ${table.dim}`))}, tooltip=${tooltip(`embedding table '${table.name}': ${table.rows} rows × ${table.dim}, shared by ${shared.get(table.name)!.join(", ")}`)}];`,
      );
    }
    for (const feature of ir.features) out.push(`    ${ids.feature(feature.name)} [${featureAttrs(feature, width(feature.name))}];`);
    for (const feature of ir.features) {
      if (feature.kind !== "numeric" && shared.has(feature.table)) {
        out.push(`    ${ids.table(feature.table)} -> ${ids.feature(feature.name)} [style=dashed, arrowhead=none, color=${quoted(PALETTE.table.line)}, label="shared"];`);
      }
    }
  }
  out.push("  }");
  out.push("");

  // Network nodes, in the IR's topological order.
  for (const node of ir.nodes) out.push(`  ${ids.node(node.name)} [${nodeAttrs(node.op === "concat" ? { ...node, inputs: concatReads(ir, node.inputs) } : node, width(node.name))}];`);
  out.push("");
  for (const node of ir.nodes) {
    const to = ids.node(node.name);
    if (node.op === "concat") {
      // The diagram shows the spec: a numeric block's features one by one.
      const reads = concatReads(ir, node.inputs);
      const fromGrid = grid ? reads.filter((input) => features.has(input)) : [];
      if (fromGrid.length > 0) {
        const gridWidth = fromGrid.reduce((sum, name) => sum + width(name), 0);
        out.push(`  ${ids.grid} -> ${to} [label=${quoted(String(gridWidth))}, tooltip=${tooltip(`${fromGrid.length} features: ${fromGrid.join(", ")}`)}];`);
      }
      for (const input of reads) if (!fromGrid.includes(input)) out.push(`  ${source(input).id} -> ${to} [label=${widthLabel(source(input))}];`);
    } else if (node.op === "mlp") {
      out.push(`  ${source(node.input).id} -> ${to} [label=${widthLabel(source(node.input))}];`);
    } else {
      const input = source(node.input);
      out.push(`  ${input.id} -> ${to} [label=${widthLabel(input)}, color=${quoted(PALETTE.gate.line)}, fontcolor=${quoted(PALETTE.gate.line)}, tooltip=${tooltip(`softmax input of ${node.name}`)}];`);
      for (const group of node.experts) out.push(`  ${source(group).id} -> ${to} [label=${widthLabel(source(group))}, penwidth=1.6];`);
    }
  }
  out.push("");

  // Tasks: a head on a node, or a product of other tasks through a "×" node.
  const taskNames = new Set(ir.tasks.map((t) => t.name));
  out.push(`  { rank=max; ${ir.tasks.filter((t) => !isFactor(ir, t.name)).map((t) => ids.task(t.name)).join("; ")} }`);
  for (const task of ir.tasks) {
    const imputes = ir.tasks.find((t) => t.debias?.type === "dr" && t.debias.imputation === task.name);
    out.push(`  ${ids.task(task.name)} [${taskAttrs(task, imputes?.name)}];`);
    if (task.head.op === "dense") {
      const input = source(task.head.input);
      out.push(`  ${input.id} -> ${ids.task(task.name)} [label=${widthLabel(input)}];`);
      // AITM: the previous step passes on a vector of the width of this task's node, mixed in by attention.
      if (task.transfer) {
        const tip = tooltip(`AITM: ${task.transfer.from}'s transfer into ${task.name}'s head`);
        out.push(`  ${ids.task(task.transfer.from)} -> ${ids.task(task.name)} [label=${widthLabel(input)}, style=dotted, color=${quoted(PALETTE[task.type].line)}, tooltip=${tip}];`);
      }
    } else {
      const product = ids.product(task.name);
      out.push(
        `  ${product} [shape=circle, style=filled, fillcolor=${quoted(PALETTE.product.fill)}, color=${quoted(PALETTE.product.line)}, fixedsize=true, width=0.36, fontsize=16, label=<×>, tooltip=${tooltip(`${task.name} = ${task.head.factors.join(" × ")}`)}];`,
      );
      for (const factor of task.head.factors) {
        if (!taskNames.has(factor)) throw new Error(`graph: task '${task.name}' multiplies '${factor}', which is not a task`);
        out.push(`  ${ids.task(factor)} -> ${product} [label="1", style=dashed, color=${quoted(PALETTE[task.type].line)}];`);
      }
      out.push(`  ${product} -> ${ids.task(task.name)} [label="1", style=dashed, color=${quoted(PALETTE[task.type].line)}];`);
    }
  }
  out.push("}");
  return out.join("\n") + "\n";
}

function title(ir: ValidIR): string {
  const lines = [`<td align="left"><font point-size="15"><b>${html(ir.model.name)}</b></font></td>`];
  if (ir.model.description) lines.push(`<td align="left"><font point-size="11" color="${MUTED}">${html(ir.model.description)}</font></td>`);
  return `<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">${lines.map((line) => `<tr>${line}</tr>`).join("")}</table>>`;
}

/** Tables read by more than one feature (a sequence and the categorical it is `of`), with their readers. */
function sharedTables(ir: ValidIR): Map<string, string[]> {
  const readers = new Map<string, string[]>();
  for (const f of ir.features) if (f.kind !== "numeric") readers.set(f.table, [...(readers.get(f.table) ?? []), f.name]);
  return new Map([...readers].filter(([, names]) => names.length > 1));
}

function colours(role: keyof typeof PALETTE): string {
  return `fillcolor=${quoted(PALETTE[role].fill)}, color=${quoted(PALETTE[role].line)}`;
}

/** An HTML-like label of one or more lines, as table rows: rows leave room for descenders, `<br/>` does not. */
function rows(...lines: string[]): string {
  return `<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">${lines.map((line) => `<tr><td>${line}</td></tr>`).join("")}</table>>`;
}

function small(text: string): string {
  return `<font point-size="10" color="${MUTED}">${text}</font>`;
}

function featureAttrs(f: FeatureIR, width: number): string {
  const label = `<<b>${html(f.name)}</b> · ${f.kind} · ${width}>`;
  const column = f.column === f.name ? "" : `\ncolumn: ${f.column}`;
  let detail: string;
  if (f.kind === "categorical") detail = f.encoding.type === "hash" ? `hashed into ${f.encoding.buckets} buckets, embedding dim ${width}` : `vocabulary of ${f.encoding.vocab.length}, embedding dim ${width}`;
  else if (f.kind === "numeric") detail = `transform ${f.transform}, normalize ${f.normalize}, missing → ${f.fill}`;
  else detail = `sequence of ${f.of} (shares table ${f.table}), up to ${f.maxLen} items, ${f.pool}-pooled`;
  return `${colours("feature")}, label=${label}, tooltip=${tooltip(`${f.name}: ${detail}${column}${f.doc ? `\n\n${f.doc}` : ""}`)}`;
}

/** All features as cells of one HTML table, row by row in IR order. */
function featureGrid(list: readonly FeatureIR[], widths: ReadonlyMap<string, number>): string {
  const cells = list.map((f) => {
    const table = f.kind === "sequence" ? small(` · table ${html(f.table)}`) : "";
    return `<td bgcolor="${PALETTE.feature.fill}" color="${PALETTE.feature.line}" border="1" cellpadding="5" align="left"><b>${html(f.name)}</b> · ${f.kind} · ${widths.get(f.name)}${table}</td>`;
  });
  const lines: string[] = [];
  for (let i = 0; i < cells.length; i += FEATURE_GRID_COLUMNS) lines.push(`<tr>${cells.slice(i, i + FEATURE_GRID_COLUMNS).join("")}</tr>`);
  return `<<table border="0" cellspacing="6" cellpadding="0">${lines.join("")}</table>>`;
}

function mlpText(node: MlpNodeIR): string {
  const parts = [`mlp [${node.units.join(", ")}]`];
  if (node.activation !== "relu") parts.push(node.activation);
  if (node.dropout > 0) parts.push(`dropout ${node.dropout}`);
  if (node.batchNorm) parts.push("batchnorm");
  return parts.join(" · ");
}

function nodeAttrs(node: NodeIR, width: number): string {
  const doc = node.doc ? `\n\n${node.doc}` : "";
  if (node.op === "concat") {
    return `${colours("input")}, label=${rows(`<b>${html(node.name)}</b>`, small(`concat · ${width}`))}, tooltip=${tooltip(`input ${node.name} = concat(${node.inputs.join(", ")}): width ${width}${doc}`)}`;
  }
  if (node.op === "gate") return gateAttrs(node, width, doc);
  const group = node.count > 1;
  const head = group ? `<b>${html(node.name)}</b> × ${node.count}` : `<b>${html(node.name)}</b>`;
  const kind = node.role === "expert" ? (group ? `${node.count} experts` : "expert") : "tower";
  const shape = group ? "shape=box3d, style=filled" : `shape=box, style="rounded,filled"`;
  return `${shape}, ${colours(node.role)}, label=${rows(head, small(`${html(mlpText(node))} · ${width}`))}, tooltip=${tooltip(`${kind} ${node.name}: ${mlpText(node)} on ${node.input}, output width ${width}${group ? " each" : ""}${doc}`)}`;
}

function gateAttrs(node: GateNodeIR, width: number, doc: string): string {
  const over = `over ${node.experts.map(html).join(", ")}`;
  return `shape=box, style="filled,diagonals", ${colours("gate")}, label=${rows(`<b>${html(node.name)}</b>`, small(`softmax ${over}`), small(`${node.numExperts} experts · ${width}`))}, tooltip=${tooltip(`gate ${node.name} = softmax(W ${node.input}) over ${node.experts.join(", ")}: mixes ${node.numExperts} experts into width ${width}${doc}`)}`;
}

/** A label or `where` clause as the spec writes it: a column that is not an identifier is quoted. */
function labelText(label: LabelIR): string {
  const column = columnText(label.column);
  return label.positives === null ? column : `${column} ${isValuesText(label.positives)}`;
}

/** `imputes`: the task whose loss this one imputes (`debias dr(..., imputation: this)`). */
function taskAttrs(task: TaskIR, imputes: string | undefined): string {
  const latent = task.label === null;
  const lines = [`<b>${html(task.name)}</b> · ${task.type}`];
  const target = [latent ? "no label (latent)" : `label ${html(labelText(task.label!))}`];
  if (task.where) target.push(`where ${html(labelText(task.where))}`);
  lines.push(small(target.join(" · ")));
  const extra: string[] = [];
  if (task.head.op === "product") extra.push(task.head.factors.map(html).join(" × "));
  const defaultLoss = task.type === "binary" ? "bce" : "mse";
  if (task.loss.type !== defaultLoss) extra.push(task.loss.type === "huber" ? `huber δ ${task.loss.delta}` : task.loss.type);
  if (task.weight !== 1) extra.push(`weight ${task.weight}`);
  if (task.transfer) extra.push(`after ${html(task.transfer.from)}${task.transfer.calibrate > 0 ? ` · calibrate ${task.transfer.calibrate}` : ""}`);
  const d = task.debias;
  if (d) extra.push(`debias ${d.type}(${html(d.propensity)}${d.type === "dr" ? `, imputation: ${html(d.imputation)}` : ""})`);
  if (extra.length > 0) lines.push(small(extra.join(" · ")));
  const shape = task.type === "binary" ? "shape=ellipse" : "shape=box";
  const style = `style="${task.type === "binary" ? "" : "rounded,"}filled${latent ? ",dashed" : ""}"`;
  const head = task.head.op === "dense" ? `a ${task.type === "binary" ? "logit" : "value"} on ${task.head.input}` : `the product ${task.head.factors.join(" × ")}`;
  const why = imputes !== undefined ? `; latent: the imputed loss of task ${imputes}, trained by its DR loss` : latent ? "; latent: no loss of its own, trained through the tasks that depend on it" : "";
  return `${shape}, ${style}, ${colours(task.type)}, penwidth=${latent ? "1.4" : "1.6"}, label=${rows(...lines)}, tooltip=${tooltip(`${task.type} task ${task.name}: ${head}${why}${task.doc ? `\n\n${task.doc}` : ""}`)}`;
}

function widthLabel(source: { width: number; count: number }): string {
  return quoted(source.count > 1 ? `${source.count} × ${source.width}` : String(source.width));
}

/** Whether some product task multiplies this task's output. */
function isFactor(ir: ValidIR, name: string): boolean {
  return ir.tasks.some((t) => t.head.op === "product" && t.head.factors.includes(name));
}
