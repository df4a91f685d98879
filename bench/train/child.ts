/**
 * A child process speaking protocol.ts: start it, wait for its `ready` line,
 * send commands one at a time. Whatever goes wrong (it cannot start, dies,
 * hangs, answers garbage or an error) becomes a rejected promise with a
 * message naming the child and the end of its stderr, never a crash.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { Command, Ready, Reply } from "./protocol.js";

/** Lines of stderr kept for error messages. */
const STDERR_TAIL_LINES = 12;
/** How long a child may take to exit after `exit` before it is killed. */
const EXIT_GRACE_MS = 5000;

export class ChildFailure extends Error {}

export interface ChildSpec {
  /** For messages: "mtl" or "PyTorch". */
  label: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Per command, and for the ready line. */
  timeoutMs: number;
}

export class ProtocolChild {
  private readonly process: ChildProcess;
  private readonly stderrTail: string[] = [];
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private exited: string | null = null;

  private constructor(private readonly spec: ChildSpec) {
    this.process = spawn(spec.command, spec.args, { env: spec.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    this.process.on("error", (error) => this.ended(`could not start '${spec.command}': ${error.message}`));
    // "close", not "exit": it comes after stdout and stderr are drained, so no reply or last words are lost.
    this.process.on("close", (code, signal) =>
      this.ended(signal === null ? `exited with code ${code}` : `was killed by ${signal}`),
    );
    // A child that dies while we write to it must not take the benchmark down with EPIPE.
    this.process.stdin!.on("error", () => undefined);
    createInterface({ input: this.process.stdout! }).on("line", (line) => this.received(line));
    createInterface({ input: this.process.stderr! }).on("line", (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
    });
  }

  /** Starts the child and resolves with its ready message. */
  static async start(spec: ChildSpec): Promise<{ child: ProtocolChild; ready: Ready }> {
    const child = new ProtocolChild(spec);
    try {
      const first = (await child.nextMessage("start")) as Partial<Ready> & { event?: string; error?: string };
      if (first.event !== "ready") throw child.failure(`did not start: ${first.error ?? JSON.stringify(first)}`);
      return { child, ready: first as Ready };
    } catch (error) {
      child.kill();
      throw error;
    }
  }

  /** Sends one command and resolves with its reply; a reply with ok:false rejects. */
  async request(command: Command): Promise<Reply> {
    if (this.exited !== null) throw this.failure(this.exited);
    this.process.stdin!.write(`${JSON.stringify(command)}\n`);
    const reply = (await this.nextMessage(command.cmd)) as Reply;
    if (reply.ok !== true) {
      throw new ChildFailure(`${this.spec.label}: '${command.cmd}' failed: ${reply.error ?? JSON.stringify(reply)}`);
    }
    return reply;
  }

  /** Asks the child to exit, and kills it if it does not. */
  async close(): Promise<void> {
    if (this.exited !== null) return;
    this.process.stdin!.end(`${JSON.stringify({ cmd: "exit" } satisfies Command)}\n`);
    const exited = new Promise<void>((resolve) => this.process.once("close", () => resolve()));
    const timer = setTimeout(() => this.kill(), EXIT_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.exited === null) this.process.kill("SIGKILL");
  }

  private async nextMessage(what: string): Promise<unknown> {
    const line = await this.nextLine(what);
    try {
      return JSON.parse(line);
    } catch {
      throw this.failure(`answered '${what}' with a line that is not JSON: ${line.slice(0, 200)}`);
    }
  }

  private nextLine(what: string): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.exited !== null) return Promise.reject(this.failure(this.exited));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        this.kill();
        reject(this.failure(`did not answer '${what}' within ${this.spec.timeoutMs / 1000} s and was killed`));
      }, this.spec.timeoutMs);
      this.waiting = (line) => {
        clearTimeout(timer);
        this.waiting = null;
        if (line === null) reject(this.failure(`${this.exited ?? "ended"} while running '${what}'`));
        else resolve(line);
      };
    });
  }

  private received(line: string): void {
    if (this.waiting !== null) this.waiting(line);
    else this.lines.push(line);
  }

  private ended(why: string): void {
    if (this.exited !== null) return;
    this.exited = why;
    this.waiting?.(null);
  }

  private failure(why: string): ChildFailure {
    const tail = this.stderrTail.length > 0 ? `\n    ${this.stderrTail.join("\n    ")}` : "";
    return new ChildFailure(`${this.spec.label} (${this.spec.command}) ${why}${tail}`);
  }
}
