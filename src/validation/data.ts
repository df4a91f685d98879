import { closest } from "../diagnostics/suggest.js";
import type * as A from "../syntax/ast.js";
import type { CheckContext } from "./context.js";
import { draft, type DataOptions } from "./option-types.js";
import type { TaskSym } from "./symbols.js";

/** Rules binding the spec to its data: every column a feature or task reads must exist. */
/** `sampleWeight`: train's `sample_weight` column, a column of the data too. */
export function checkData(ctx: CheckContext, data: DataOptions, block: A.BlockDecl | undefined, sampleWeight?: A.Name): void {
  const { format, columns } = draft(data);
  const columnsEntry = block?.entries.find((e) => e.name.text === "columns");
  if (format?.ctor === "csv" && draft(format.options).header === false && !columnsEntry && block) {
    ctx.report("MTL6003", block.keyword);
  }
  if (!columns || !columnsEntry) return;
  if (format && format.ctor !== "csv") {
    ctx.report("MTL6004", columnsEntry.name.range, format.ctor);
    return;
  }
  const known = new Set<string>();
  for (const column of columns) {
    if (known.has(column.text)) ctx.report("MTL6002", column.range, column.text);
    known.add(column.text);
  }
  /** `written`: the column as written, which a suggestion may replace; absent when the column is implied by a name. */
  const requireColumn = (text: string, range: A.Range, written?: A.Name) => {
    if (known.has(text)) return;
    const hint = closest(text, known);
    const d = ctx.report("MTL6001", range, text, hint ? ` Did you mean '${hint}'?` : "");
    if (written) ctx.suggest(d, written, hint);
  };
  for (const sym of ctx.symbols.values()) {
    // Only a `column:` option names the column itself: a feature's own name, or a group member's derived column, is not replaced.
    const explicit = sym.kind === "feature" && !sym.group && sym.columnRange !== sym.decl.name.range;
    if (sym.kind === "feature" && sym.call && !sym.members) requireColumn(sym.column, sym.columnRange, explicit ? { text: sym.column, range: sym.columnRange } : undefined);
    if (sym.kind === "task") requireTaskColumns(sym, requireColumn);
  }
  if (sampleWeight) requireColumn(sampleWeight.text, sampleWeight.range, sampleWeight);
}

function requireTaskColumns(task: TaskSym, requireColumn: (text: string, range: A.Range, written?: A.Name) => void): void {
  const { label, where, sampleWeight } = task.decl;
  if (label) requireColumn(label.column.text, label.column.range, label.column);
  if (where) requireColumn(where.column.text, where.column.range, where.column);
  if (sampleWeight) requireColumn(sampleWeight.text, sampleWeight.range, sampleWeight);
}
