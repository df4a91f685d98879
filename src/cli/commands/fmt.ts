import type { Command } from "commander";
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import { renderHuman } from "../../diagnostics/render-human.js";
import { formatSource } from "../../format/index.js";
import { decodeSource } from "../../syntax/source.js";
import { SpecReadError, UsageError } from "../../errors.js";
import { inStyle, readSpecFile, rewriteSpecFile, specStyle } from "../../spec-file.js";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE } from "../exit-codes.js";
import { useColor } from "../output.js";

interface FmtOptions {
  check?: boolean;
  color?: boolean;
  stdinFilepath?: string;
}

/** The file operand that means standard input, as `-o -` means standard output elsewhere in mtl. */
const STDIN = "-";

export function registerFmt(program: Command): void {
  program
    .command("fmt")
    .summary("format .mtl specs in place, or standard input (-) to standard output")
    .description(
      "Rewrite .mtl specs in their canonical layout (atomically; unchanged files are not touched; a link is written through,\n" +
        "and a file keeps its mode, owner, byte-order mark and line endings: CRLF when its first line ends so).\n" +
        "A spec with syntax errors is reported like `mtl check` and left as it is.\n" +
        "With --check, list the files that are not formatted and change nothing.\n" +
        "`mtl fmt -` formats standard input to standard output; with --check it prints <stdin> and exits 1 if the input is not formatted. Messages call it <stdin>, or --stdin-filepath.\n" +
        "Exit code: 0 when every file is (or now is) formatted, 1 when --check finds unformatted files or a file has syntax errors, 2 when a file cannot be read or written.",
    )
    .argument("<file...>", ".mtl files to format, or - for standard input")
    .option("--check", "list files that would change, exit 1 if any; write nothing")
    .option("--stdin-filepath <path>", "with -: the name messages give the input (default <stdin>)")
    .option("--no-color", "never colour error output (also: NO_COLOR=1)")
    .action(async (files: string[], options: FmtOptions) => {
      if (files.includes(STDIN)) {
        if (files.length > 1) throw new UsageError("'-' (standard input) cannot be combined with files: format them in a separate call");
        process.exitCode = await runFmtStdin(options);
        return;
      }
      if (options.stdinFilepath !== undefined) throw new UsageError("--stdin-filepath only applies when formatting standard input: mtl fmt - --stdin-filepath PATH");
      process.exitCode = runFmt(files, options);
    });
}

/** Like gofmt and prettier with no file: formatted text to stdout, diagnostics to stderr, nothing on stdout on error. */
async function runFmtStdin(options: FmtOptions): Promise<number> {
  const name = options.stdinFilepath ?? "<stdin>";
  const chunks: Buffer[] = [];
  // Not readFileSync(0): it fails with EAGAIN when stdin is a non-blocking pipe.
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  const source = decodeSource(bytes, name);
  const result = source.diagnostics.length > 0 ? { diagnostics: source.diagnostics } : formatSource(source.text, name);
  if (result.text === undefined) {
    const text = renderHuman(result.diagnostics, new Map([[name, source.text]]), { color: useColor(process.stderr, options.color) });
    process.stderr.write(`${text}\n`);
    return EXIT_ERRORS;
  }
  const formatted = inStyle(result.text, specStyle(bytes));
  if (!options.check) {
    process.stdout.write(formatted);
    return EXIT_OK;
  }
  if (Buffer.from(formatted, "utf8").equals(bytes)) return EXIT_OK;
  process.stdout.write(`${name}\n`);
  return EXIT_ERRORS;
}

function runFmt(files: string[], options: FmtOptions): number {
  let status = EXIT_OK;
  const worse = (code: number) => (status = Math.max(status, code));
  const errors: Diagnostic[] = [];
  const sources = new Map<string, string>();
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readSpecFile(file);
    } catch (error) {
      if (!(error instanceof SpecReadError)) throw error;
      process.stderr.write(`mtl: ${error.message}\n`);
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
    // The formatter writes LF without a BOM; the file keeps its own (see specStyle).
    const style = specStyle(bytes);
    if (Buffer.from(inStyle(result.text, style), "utf8").equals(bytes)) continue;
    if (options.check) {
      process.stdout.write(`${file}\n`);
      worse(EXIT_ERRORS);
      continue;
    }
    try {
      rewriteSpecFile(file, result.text, style);
    } catch (error) {
      if (!(error instanceof SpecReadError)) throw error;
      process.stderr.write(`mtl: ${error.message}\n`);
      worse(EXIT_USAGE);
    }
  }
  if (errors.length > 0) {
    const text = renderHuman(errors, sources, { color: useColor(process.stderr, options.color) });
    process.stderr.write(`${text}\n`);
  }
  return status;
}
