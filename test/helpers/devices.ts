import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";

const NUMBERS = { null: "3", full: "7", zero: "5" } as const;

/**
 * A character device for a test to write to or read from. As root (CI), a
 * private copy in `dir` made with mknod (same major and minor numbers), so
 * a regression that replaces the device cannot break the machine's
 * /dev/null; otherwise the system's, which only root could replace.
 */
export function characterDevice(dir: string, name: keyof typeof NUMBERS): string {
  if (process.getuid?.() !== 0) return `/dev/${name}`;
  const path = join(dir, `dev-${name}`);
  rmSync(path, { force: true });
  execFileSync("mknod", [path, "c", "1", NUMBERS[name]]);
  return path;
}

/** A new FIFO at `path`. */
export function fifo(path: string): string {
  rmSync(path, { force: true });
  execFileSync("mkfifo", [path]);
  return path;
}
