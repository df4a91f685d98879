import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.js";
import { outputError } from "../data/writers/temp-file.js";
import { UsageError } from "./exit-codes.js";

/** Whether to colour human output: a terminal, and no NO_COLOR (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  return Boolean(stream.isTTY) && !process.env["NO_COLOR"];
}

/** Writes to a file atomically (creating its folder), or to standard output for "-" or no file. */
export function emit(text: string, file: string | undefined): void {
  const data = text.endsWith("\n") ? text : text + "\n";
  if (file === undefined || file === "-") {
    process.stdout.write(data);
    return;
  }
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileAtomic(file, data);
  } catch (error) {
    throw new UsageError(`cannot write '${file}': ${outputError(file, error).message}`);
  }
}
