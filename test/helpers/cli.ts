import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Generous: only meant to turn a hang into a failure, not to measure speed. */
export const CLI_TIMEOUT_MS = 60_000;

/** Runs `node <cli> ...args`, never coloured, never in debug mode; `input` is piped to its standard input. */
export function runCli(
  cli: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {},
): CliResult {
  const started = performance.now();
  const result = spawnSync(process.execPath, [cli, ...args], {
    cwd: options.cwd,
    env: cliEnvironment(options.env),
    encoding: "utf8",
    input: options.input,
    timeout: options.timeoutMs ?? CLI_TIMEOUT_MS,
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  if (result.error && (result.error as NodeJS.ErrnoException).code !== "ETIMEDOUT") throw result.error;
  return { status: result.status, signal: result.signal, stdout: result.stdout ?? "", stderr: result.stderr ?? "", ms };
}

/** The test process's environment plus `extra`, never coloured, never in debug mode. */
function cliEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, NO_COLOR: "1" };
  delete env["MTL_DEBUG"];
  delete env["FORCE_COLOR"];
  return env;
}

/**
 * `node <cli> ...args` as a child process the test can signal or overlap
 * with others (each CLI run spends most of a second loading TensorFlow.js);
 * `done` settles when it exits, or after the timeout, when it is killed.
 */
export function spawnCli(
  cli: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): { child: ChildProcess; done: Promise<CliResult> } {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, ...args], { cwd: options.cwd, env: cliEnvironment(options.env), stdio: ["ignore", "pipe", "pipe"] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on("data", (b: Buffer) => out.push(b));
  child.stderr!.on("data", (b: Buffer) => err.push(b));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? CLI_TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), ms: performance.now() - started });
    });
  });
  return { child, done };
}

/** A stack frame line such as "    at foo (file.js:1:2)". */
const STACK_LINE = /^\s+at\s.+/m;

/** The process ended by itself, printed no stack trace and reported no internal error. */
export function assertNoCrash(result: CliResult, what: string): void {
  assert.notEqual(result.status, null, `${what}: the CLI did not finish (signal ${result.signal}) within the timeout`);
  const all = result.stdout + "\n" + result.stderr;
  assert.doesNotMatch(all, STACK_LINE, `${what}: output contains a stack trace:\n${result.stderr.slice(0, 2000)}`);
  assert.doesNotMatch(all, /internal error/i, `${what}: reported an internal error:\n${result.stderr.slice(0, 2000)}`);
  assert.notEqual(result.status, 70, `${what}: exit code 70 (internal error)`);
}

/**
 * A usage error: exit 2, one "mtl: ..." line on standard error (optionally
 * followed by commander's "(add --help for usage)" hint), nothing on stdout.
 */
export function assertUsageError(result: CliResult, what: string, mentions?: RegExp): string {
  assertNoCrash(result, what);
  assert.equal(result.status, 2, `${what}: expected exit 2, got ${result.status}; stderr: ${result.stderr}`);
  assert.equal(result.stdout, "", `${what}: nothing should go to stdout`);
  const lines = result.stderr.split("\n").filter((l) => l.trim() !== "");
  assert.ok(lines.length >= 1, `${what}: no message on stderr`);
  assert.match(lines[0]!, /^mtl: \S/, `${what}: first stderr line should start with "mtl: "`);
  const rest = lines.slice(1);
  assert.ok(
    rest.every((l) => l === "(add --help for usage)"),
    `${what}: expected a one-line message, got:\n${result.stderr}`,
  );
  if (mentions) assert.match(lines[0]!, mentions, `${what}: message should match ${mentions}`);
  return lines[0]!;
}

/** A fresh temporary folder, and a function removing it (also run when the process exits). */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `mtl-${prefix}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  process.once("exit", remove);
  return { dir, remove };
}
