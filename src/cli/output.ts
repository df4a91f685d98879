import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.js";
import { fileIdentity, isInsideFolder, resolveOutput } from "../util/output-path.js";
import { outputError } from "../data/writers/temp-file.js";
import { UsageError } from "../errors.js";

/** Whether to colour human output: a terminal, and no NO_COLOR (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  return Boolean(stream.isTTY) && !process.env["NO_COLOR"];
}

/**
 * Writes to standard output for "-" or no file; else to the file atomically
 * (creating its folder, through a symbolic link, keeping its mode), or in
 * place to a character device or FIFO (/dev/null, a pipe): see output-path.ts.
 */
export function emit(text: string, file: string | undefined): void {
  const data = text.endsWith("\n") ? text : text + "\n";
  if (file === undefined || file === "-") {
    process.stdout.write(data);
    return;
  }
  try {
    if (resolveOutput(file).kind === "stream") {
      writeFileSync(file, data);
      return;
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileAtomic(file, data);
  } catch (error) {
    const problem = outputError(file, error);
    throw new UsageError(`cannot write '${file}': ${problem.message}${problem.hint ? `; ${problem.hint}` : ""}`);
  }
}

/** A path on the command line, and how messages name it: "--data rows.csv", "the spec a.mtl". */
export interface NamedPath {
  path: string;
  label: string;
}

/** A path given with a flag (or "the spec"): labelled by both, as the user typed them. */
export function flagged(flag: string, path: string): NamedPath {
  return { path, label: `${flag} ${path}` };
}

/**
 * Refuses outputs that are the same file as an input or as each other
 * (compared by device and inode, or by real path before they exist, so
 * `./a.csv`, `a.csv`, links and hard links all count), before anything is
 * read or written: writing one would destroy the other. Devices and FIFOs
 * (/dev/null) are not files to lose, and may be named more than once.
 */
export function refuseSameFiles(outputs: readonly NamedPath[], inputs: readonly NamedPath[]): void {
  const seen = new Map<string, { path: NamedPath; input: boolean }>();
  for (const input of inputs) seen.set(fileIdentity(input.path), { path: input, input: true });
  for (const output of outputs) {
    // Two outputs may well both be /dev/null; an input read from a pipe is not a file to lose.
    if (isStream(output.path)) continue;
    const id = fileIdentity(output.path);
    const other = seen.get(id);
    if (other) {
      const lost = other.input ? "the input would be lost; write elsewhere" : "one would overwrite the other; give them different names";
      throw new UsageError(`${output.label} and ${other.path.label} are the same file: ${lost}`);
    }
    seen.set(id, { path: output, input: false });
  }
}

function isStream(path: string): boolean {
  try {
    return resolveOutput(path).kind === "stream";
  } catch {
    return false; // reported when it is written
  }
}

/** Refuses an output inside a trained model folder: mtl only reads a finished model, never writes into it. */
export function refuseInsideModel(output: NamedPath, modelDir: string): void {
  if (isInsideFolder(output.path, modelDir)) {
    throw new UsageError(`${output.label} is inside the model folder ${modelDir}: writing there would damage the model; write elsewhere`);
  }
}
