import { writeFileAtomic } from "../util/atomic-write.js";

/** Whether to colour human output: a terminal, and no NO_COLOR (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  return Boolean(stream.isTTY) && !process.env["NO_COLOR"];
}

/** Writes to a file atomically, or to standard output for "-" or no file. */
export function emit(text: string, file: string | undefined): void {
  const data = text.endsWith("\n") ? text : text + "\n";
  if (file === undefined || file === "-") process.stdout.write(data);
  else writeFileAtomic(file, data);
}
