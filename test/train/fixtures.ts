import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileSource } from "../../src/compiler.js";
import { esmmColumns, generateEsmm } from "../../src/data/synthetic/esmm.js";
import { writeGenerated } from "../../src/data/synthetic/write.js";
import type { ValidIR } from "../../src/ir/types.js";
import { packageRoot } from "../../src/util/package-root.js";

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `mtl-${prefix}-`));
}

export function specIr(name: string): { ir: ValidIR; text: string } {
  const text = readFileSync(join(packageRoot(), "specs", name), "utf8");
  const result = compileSource(text, name);
  if (!result.ir) throw new Error(`${name} does not compile: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  return { ir: result.ir, text };
}

/**
 * ESMM impressions from a small world (few users and items, frequent clicks
 * and purchases), so a few hundred steps can learn something measurable.
 */
export async function smallEsmmData(dir: string, rows: number, validRows: number): Promise<{ train: string; valid: string }> {
  const train = join(dir, "train.csv");
  const valid = join(dir, "valid.csv");
  await writeGenerated(generateEsmm({ rows: rows + validRows, seed: 3, users: 300, items: 200, categories: 20, ctr: 0.2, cvr: 0.3 }), esmmColumns(), train, rows, { file: valid, rows: validRows });
  return { train, valid };
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
