import { mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { Option, type Command } from "commander";
import { compileFile } from "../../compiler.js";
import { renderHuman, summary } from "../../diagnostics/render-human.js";
import type { ModelIR } from "../../ir/types.js";
import { EXIT_ERRORS, EXIT_OK, UsageError } from "../exit-codes.js";
import { emit, useColor } from "../output.js";

/** Back ends by target name; each reads the IR only. */
const TARGETS: Record<string, { extension: string; render: (ir: ModelIR) => string }> = {
  ir: { extension: ".ir.json", render: (ir) => JSON.stringify(ir, null, 2) },
};

interface CompileOptions {
  target: string;
  emit?: string;
  output?: string;
  outDir?: string;
  color?: boolean;
}

export function registerCompile(program: Command): void {
  program
    .command("compile")
    .summary("compile specs for a back end (the JSON IR)")
    .description(
      "Compile .mtl specs for a back end. Errors are reported as by 'mtl check' (on standard error) and nothing is written.\n" +
        "Targets:\n  ir   the JSON intermediate representation (schema: grammar/mtl-ir.schema.json)",
    )
    .argument("<spec...>", ".mtl files to compile")
    .addOption(new Option("-t, --target <target>", "what to generate").choices(Object.keys(TARGETS)).default("ir"))
    .addOption(new Option("--emit <target>", "alias of --target").choices(Object.keys(TARGETS)))
    .option("-o, --output <file>", "write here instead of standard output (one spec only); written atomically")
    .option("--out-dir <dir>", "write one file per spec into this folder, named after the spec")
    .option("--no-color", "never colour diagnostics")
    .action((specs: string[], options: CompileOptions) => {
      process.exitCode = runCompile(specs, options);
    });
}

function runCompile(specs: string[], options: CompileOptions): number {
  const target = TARGETS[options.emit ?? options.target]!;
  if (options.output && options.outDir) throw new UsageError("use either --output or --out-dir, not both");
  if (specs.length > 1 && !options.outDir) throw new UsageError("compiling several specs needs --out-dir DIR");
  const results = specs.map((spec) => compileFile(spec));
  const diagnostics = results.flatMap((r) => r.diagnostics);
  if (diagnostics.length) {
    const sources = new Map(results.map((r) => [r.file, r.text]));
    process.stderr.write(renderHuman(diagnostics, sources, { color: useColor(process.stderr, options.color) }) + "\n\n" + summary(diagnostics, results.length) + "\n");
  }
  if (results.some((r) => !r.ir)) return EXIT_ERRORS;
  if (options.outDir) mkdirSync(options.outDir, { recursive: true });
  for (const result of results) {
    const file = options.outDir ? join(options.outDir, basename(result.file).replace(/\.mtl$/, "") + target.extension) : options.output;
    emit(target.render(result.ir!), file);
  }
  return EXIT_OK;
}
