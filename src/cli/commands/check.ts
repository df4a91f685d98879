import { Option, type Command } from "commander";
import { compileFile, type CompileResult } from "../../compiler.js";
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import { renderHuman, summary } from "../../diagnostics/render-human.js";
import { renderJson } from "../../diagnostics/render-json.js";
import { EXIT_ERRORS, EXIT_OK } from "../exit-codes.js";
import { useColor } from "../output.js";

interface CheckOptions {
  format: "human" | "json";
  color?: boolean;
}

export function registerCheck(program: Command): void {
  program
    .command("check")
    .summary("report every problem in .mtl specs")
    .description("Parse and check .mtl specs and report every problem.\nExit code: 0 when clean (warnings allowed), 1 when any spec has errors, 2 on a usage error.")
    .argument("<spec...>", ".mtl files to check")
    .addOption(new Option("-f, --format <format>", "output format: human (file:line:col with the source line) or json").choices(["human", "json"]).default("human"))
    .option("--no-color", "never colour human output (also: NO_COLOR=1)")
    .action((specs: string[], options: CheckOptions) => {
      process.exitCode = runCheck(specs, options);
    });
}

function runCheck(specs: string[], options: CheckOptions): number {
  const results: CompileResult[] = specs.map((spec) => compileFile(spec, { lower: false }));
  const diagnostics: Diagnostic[] = results.flatMap((r) => r.diagnostics);
  if (options.format === "json") {
    process.stdout.write(renderJson(diagnostics) + "\n");
  } else {
    const sources = new Map(results.map((r) => [r.file, r.text]));
    const text = renderHuman(diagnostics, sources, { color: useColor(process.stdout, options.color) });
    process.stdout.write((text ? text + "\n\n" : "") + summary(diagnostics, results.length) + "\n");
  }
  return diagnostics.some((d) => d.severity === "error") ? EXIT_ERRORS : EXIT_OK;
}
