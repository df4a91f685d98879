import { compileFile } from "../compiler.js";
import { renderHuman, summary } from "../diagnostics/render-human.js";
import type { ValidIR } from "../ir/types.js";
import { useColor } from "./output.js";

/** Compiles a spec for a command that needs its IR; prints diagnostics to stderr and returns undefined on errors. */
export function compileOrReport(spec: string): { ir: ValidIR; text: string } | undefined {
  const result = compileFile(spec);
  if (result.diagnostics.length) {
    const sources = new Map([[result.file, result.text]]);
    process.stderr.write(renderHuman(result.diagnostics, sources, { color: useColor(process.stderr, undefined) }) + "\n\n" + summary(result.diagnostics, 1) + "\n");
  }
  return result.ir ? { ir: result.ir, text: result.text } : undefined;
}
