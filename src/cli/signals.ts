import { constants } from "node:os";
import { removeTrackedTempFiles } from "../util/temp-files.js";

const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** The shell's exit status of a process ended by `signal`: 128 + its number (130 for Ctrl-C, 143 for SIGTERM). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? constants.signals.SIGINT);
}

/** How messages name the signal that arrived, and how to send it again. */
export function signalWords(signal: NodeJS.Signals): { name: string; again: string } {
  return signal === "SIGINT" ? { name: "Ctrl-C", again: "press Ctrl-C again" } : { name: signal, again: `send ${signal} again` };
}

/**
 * Ends the process on Ctrl-C, SIGTERM or SIGHUP through process.exit, so
 * that the exit hooks run: unfinished temp files are removed (temp-files.ts)
 * and the --out lock is released. Node's own default for these signals ends
 * the process without running any, leaving half-written hidden files. A
 * command that handles a signal itself (train stops after the current step)
 * adds its own listener; this one then steps aside.
 */
export function exitOnStopSignals(): void {
  for (const signal of STOP_SIGNALS) process.on(signal, onStopSignal);
}

function onStopSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  const removed = removeTrackedTempFiles();
  process.stderr.write(`\nmtl: ${signalWords(signal).name}: stopped${removed > 0 ? "; the unfinished output was removed" : ""}\n`);
  process.exit(signalExitCode(signal));
}
