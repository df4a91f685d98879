/** What both demos print and write besides their own results. */
import { isAbsolute, join, relative } from "node:path";
import type { ValidIR } from "../../ir/types.js";
import { compileTo } from "../commands/compile.js";
import { emit } from "../output.js";

/** A path as the user should type it: relative to the current folder when it is inside it. */
export function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

export function elapsed(since: number): string {
  return `${Math.round((Date.now() - since) / 1000)} s`;
}

/** Left-aligned first column, the others right-aligned, a rule under the header. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("   ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].map((l) => `  ${l}`).join("\n");
}

/** Indented lines of a thing and what it is, the descriptions aligned. */
export function listing(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([thing]) => thing.length));
  return rows.map(([thing, what]) => `  ${thing.padEnd(width)}  ${what}`.trimEnd()).join("\n");
}

/**
 * The picture and the generated TypeScript of the trained model, written as
 * `mtl compile --target svg|ts` writes them (the TypeScript with the model
 * folder's encoding statistics); returns their paths as shown to the user.
 */
export async function writeArtifacts(ir: ValidIR, modelDir: string, out: string, name: string): Promise<{ svg: string; ts: string }> {
  const svg = join(out, `${name}.svg`);
  const ts = join(out, `${name}.ts`);
  emit(await compileTo("svg", ir), svg);
  emit(await compileTo("ts", ir, { model: modelDir }), ts);
  return { svg: shown(svg), ts: shown(ts) };
}
