/** The spec text of a workload, and compiling it through the product's front end. */
import { readFileSync } from "node:fs";
import { compileSource } from "../../src/compiler.js";
import type { ValidIR } from "../../src/ir/types.js";
import { specPath } from "./paths.js";
import { QUICK_SPEC_SIZES, type Workload } from "./workloads.js";

export interface SpecSource {
  /** Shown in diagnostics. */
  readonly file: string;
  readonly text: string;
}

export function workloadSpec(workload: Workload, quick: boolean): SpecSource {
  const file = specPath(workload.spec);
  const text = readFileSync(file, "utf8");
  return quick ? { file: `${file} (--quick sizes)`, text: shrinkSpec(text) } : { file, text };
}

/** Rewrites every `buckets:` and `batch:` option to the --quick sizes. */
export function shrinkSpec(text: string): string {
  return text
    .replace(/\bbuckets:\s*[0-9_]+/g, `buckets: ${QUICK_SPEC_SIZES.buckets}`)
    .replace(/\bbatch:\s*[0-9_]+/g, `batch: ${QUICK_SPEC_SIZES.batch}`);
}

/** compileSource → IR; a spec with errors throws with every diagnostic listed. */
export function compileSpec(source: SpecSource): ValidIR {
  const result = compileSource(source.text, source.file);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (result.ir === undefined || errors.length > 0) {
    const lines = errors.map((d) => `  ${d.code} line ${d.range.start.line}: ${d.message}`);
    throw new Error(`${source.file} does not compile:\n${lines.join("\n")}`);
  }
  return result.ir;
}
