import { InvalidArgumentError, Option, type Command } from "commander";
import { compileFile, compileSource, type CompileResult } from "../../compiler.js";
import { readSpecFile, rewriteSpecFile, specStyle } from "../../spec-file.js";
import { applyFixes } from "../../diagnostics/apply-fixes.js";
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import { renderGnu } from "../../diagnostics/render-gnu.js";
import { renderHuman, summary } from "../../diagnostics/render-human.js";
import { renderJson } from "../../diagnostics/render-json.js";
import { renderSarif } from "../../diagnostics/render-sarif.js";
import { renderStylish } from "../../diagnostics/render-stylish.js";
import { packageVersion } from "../../util/package-root.js";
import { EXIT_ERRORS, EXIT_OK } from "../exit-codes.js";
import { useColor } from "../output.js";

const FORMATS = ["human", "stylish", "gnu", "json", "sarif"] as const;

interface CheckOptions {
  format: (typeof FORMATS)[number];
  color?: boolean;
  maxWarnings?: number;
  fix?: boolean;
}

export function registerCheck(program: Command): void {
  defineCheck(program, "check");
}

/** `mtl lint`: the same command under the name linters usually have. */
export function registerLint(program: Command): void {
  defineCheck(program, "lint");
}

function defineCheck(program: Command, name: string): void {
  program
    .command(name)
    .summary(name === "check" ? "report every problem in .mtl specs" : "the same as 'mtl check'")
    .description(
      "Parse and check .mtl specs and report every problem.\n" +
        "Exit code: 0 when clean (warnings allowed, up to --max-warnings), 1 when any spec has errors or too many warnings, 2 on a usage error.",
    )
    .argument("<spec...>", ".mtl files to check")
    .addOption(
      new Option("-f, --format <format>", "output format: human (file:line:col with the source line), stylish (grouped per file), gnu (file:line.col-line.col: ...), json, or sarif (SARIF 2.1.0)")
        .choices([...FORMATS])
        .default("human"),
    )
    .option("--max-warnings <n>", "exit 1 when there are more than n warnings (default: warnings never fail)", maxWarnings)
    .option("--no-color", "never colour human or stylish output (also: NO_COLOR=1)")
    .option("--fix", "apply every unambiguous \"Did you mean ...?\" fix to the files first, then report what is left")
    .action((specs: string[], options: CheckOptions) => {
      process.exitCode = runCheck(specs, options);
    });
}

function maxWarnings(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError("expected a whole number of warnings, 0 or more.");
  return n;
}

function runCheck(specs: string[], options: CheckOptions): number {
  const results: CompileResult[] = specs.map((spec) => (options.fix ? fixFile(spec) : compileFile(spec, { lower: false })));
  const diagnostics: Diagnostic[] = results.flatMap((r) => r.diagnostics);
  const sources = new Map(results.map((r) => [r.file, r.text]));
  const color = useColor(process.stdout, options.color);
  switch (options.format) {
    case "json":
      process.stdout.write(renderJson(diagnostics) + "\n");
      break;
    case "sarif":
      process.stdout.write(renderSarif(diagnostics, { version: packageVersion(), baseDir: process.cwd() }) + "\n");
      break;
    case "gnu": {
      const text = renderGnu(diagnostics);
      if (text) process.stdout.write(text + "\n");
      break;
    }
    case "stylish": {
      const text = renderStylish(diagnostics, { color });
      if (text) process.stdout.write(text + "\n");
      break;
    }
    default: {
      const text = renderHuman(diagnostics, sources, { color });
      process.stdout.write((text ? text + "\n\n" : "") + summary(diagnostics, results.length) + "\n");
    }
  }
  if (diagnostics.some((d) => d.severity === "error")) return EXIT_ERRORS;
  const warnings = diagnostics.filter((d) => d.severity === "warning").length;
  if (options.maxWarnings !== undefined && warnings > options.maxWarnings) {
    process.stderr.write(`mtl: ${warnings} warning${warnings === 1 ? "" : "s"}, more than --max-warnings ${options.maxWarnings}\n`);
    return EXIT_ERRORS;
  }
  return EXIT_OK;
}

/** Fix rounds per file: a fix can reveal a problem (with its own fix) that the first error hid. */
const FIX_ROUNDS = 5;

/**
 * Applies fixes to `spec` until none is left (or FIX_ROUNDS), writing the
 * file once (atomically, keeping its mode, BOM and line endings), and
 * returns the check of the fixed text.
 */
function fixFile(spec: string): CompileResult {
  const bytes = readSpecFile(spec);
  let result = compileSource(bytes, spec, { lower: false });
  const original = result.text;
  let text = original;
  let applied = 0;
  for (let round = 0; round < FIX_ROUNDS; round++) {
    const fixed = applyFixes(text, result.diagnostics);
    if (fixed.applied === 0) break;
    text = fixed.text;
    applied += fixed.applied;
    result = compileSource(text, spec, { lower: false });
  }
  if (text !== original) {
    rewriteSpecFile(spec, text, specStyle(bytes));
    process.stderr.write(`${spec}: applied ${applied} fix${applied === 1 ? "" : "es"}\n`);
  }
  return result;
}
