import { readFileSync, statSync, chmodSync } from "node:fs";
import type { Command } from "commander";
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import { renderHuman } from "../../diagnostics/render-human.js";
import { formatSource } from "../../format/index.js";
import { decodeSource } from "../../syntax/source.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE } from "../exit-codes.js";
import { useColor } from "../output.js";

interface FmtOptions {
  check?: boolean;
  color?: boolean;
}

export function registerFmt(program: Command): void {
  program
    .command("fmt")
    .summary("format .mtl specs in place")
    .description(
      "Rewrite .mtl specs in their canonical layout (atomically; unchanged files are not touched).\n" +
        "A spec with syntax errors is reported like `mtl check` and left as it is.\n" +
        "With --check, list the files that are not formatted and change nothing.\n" +
        "Exit code: 0 when every file is (or now is) formatted, 1 when --check finds unformatted files or a file has syntax errors, 2 when a file cannot be read or written.",
    )
    .argument("<file...>", ".mtl files to format")
    .option("--check", "list files that would change, exit 1 if any; write nothing")
    .option("--no-color", "never colour error output (also: NO_COLOR=1)")
    .action((files: string[], options: FmtOptions) => {
      process.exitCode = runFmt(files, options);
    });
}

function runFmt(files: string[], options: FmtOptions): number {
  let status = EXIT_OK;
  const worse = (code: number) => (status = Math.max(status, code));
  const errors: Diagnostic[] = [];
  const sources = new Map<string, string>();
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      process.stderr.write(`mtl: cannot read '${file}': ${why(error)}\n`);
      worse(EXIT_USAGE);
      continue;
    }
    const source = decodeSource(bytes, file);
    sources.set(file, source.text);
    const result = source.diagnostics.length > 0 ? { diagnostics: source.diagnostics } : formatSource(source.text, file);
    if (result.text === undefined) {
      errors.push(...result.diagnostics);
      worse(EXIT_ERRORS);
      continue;
    }
    if (result.text === source.text) continue;
    if (options.check) {
      process.stdout.write(`${file}\n`);
      worse(EXIT_ERRORS);
      continue;
    }
    try {
      const mode = statSync(file).mode;
      writeFileAtomic(file, result.text);
      chmodSync(file, mode & 0o7777);
    } catch (error) {
      process.stderr.write(`mtl: cannot write '${file}': ${why(error)}\n`);
      worse(EXIT_USAGE);
    }
  }
  if (errors.length > 0) {
    const text = renderHuman(errors, sources, { color: useColor(process.stderr, options.color) });
    process.stderr.write(`${text}\n`);
  }
  return status;
}

function why(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "it is a directory";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return (error as Error).message;
}
