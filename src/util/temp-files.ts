import { unlinkSync } from "node:fs";

/**
 * Temp files written asynchronously and not yet renamed into place (output
 * files, the model's weights). They are removed on every way out of the
 * process that runs JavaScript: a normal exit, process.exit after an error,
 * and the CLI's exit on Ctrl-C or SIGTERM (src/cli/signals.ts), which goes
 * through process.exit. Only a hard kill can leave one behind, which
 * removeStaleTempFiles (atomic-write.ts) clears on the next run in that
 * folder. writeFileAtomic needs no entry: it is synchronous, so no signal
 * handler can run while its temp file exists.
 */
const live = new Set<string>();
let exitHookInstalled = false;

export function trackTempFile(path: string): void {
  live.add(path);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", removeTrackedTempFiles);
  }
}

/** The file was renamed into place or removed: no longer ours to clean up. */
export function untrackTempFile(path: string): void {
  live.delete(path);
}

/** Removes every tracked temp file now; returns how many there were. */
export function removeTrackedTempFiles(): number {
  const count = live.size;
  for (const path of live) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
  live.clear();
  return count;
}
