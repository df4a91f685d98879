import { open, type FileHandle } from "node:fs/promises";
import type { Writable } from "node:stream";
import { DataError } from "../record.js";
import { resolveOutput, type OutputTarget } from "../../util/output-path.js";
import { commitTemp, createTemp, discardTemp, outputError, tempPathFor } from "./temp-file.js";

/** Where a writer's text goes. `write` resolves once the text is handed on, so awaiting it is the backpressure. */
export interface TextSink {
  write(text: string): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * The sink for an output path: a regular file (or a new one) is written
 * atomically, through any symbolic link; a character device or FIFO
 * (/dev/null, a pipe) is written in place, as it cannot be replaced.
 */
export function fileSink(target: string): TextSink {
  let out: OutputTarget;
  try {
    out = resolveOutput(target);
  } catch (err) {
    throw outputError(target, err);
  }
  return new FileSink(target, out);
}

/**
 * A file that appears complete or not at all: text goes to a temp file in
 * the real target's folder, which is fsynced and renamed over it on close.
 * Until then the target keeps its old content (or does not exist); abort, or
 * any write error, removes the temp file. A stream target gets the text
 * directly; what was written to it cannot be taken back.
 */
class FileSink implements TextSink {
  private readonly temp: string | null;
  private readonly handle: Promise<FileHandle>;
  private tail: Promise<void> = Promise.resolve();
  private failure: DataError | null = null;
  private done = false;

  constructor(
    private readonly target: string,
    private readonly out: OutputTarget,
  ) {
    this.temp = out.kind === "file" ? tempPathFor(out.path) : null;
    this.handle = this.temp !== null ? createTemp(this.temp, out.existing) : open(out.path, "w");
    this.handle.catch(() => undefined); // surfaced by the first write or close
  }

  write(text: string): Promise<void> {
    const step = this.tail.then(async () => {
      if (this.failure) throw this.failure;
      try {
        const handle = await this.handle;
        const bytes = Buffer.from(text, "utf8");
        // A write may be partial (rare for files, but allowed), so loop until all bytes are down.
        for (let done = 0; done < bytes.length; ) {
          const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
          done += bytesWritten;
        }
      } catch (err) {
        this.failure = outputError(this.target, err);
        await this.discard();
        throw this.failure;
      }
    });
    this.tail = step.catch(() => undefined);
    // A caller that ignores the promise must not crash the process; the failure is reported again by close.
    step.catch(() => undefined);
    return step;
  }

  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.tail;
    if (this.failure) throw this.failure;
    try {
      const handle = await this.handle;
      // A device or pipe has nothing to sync (and /dev/null refuses to).
      if (this.temp !== null) await handle.sync();
      await handle.close();
    } catch (err) {
      await this.discard();
      throw outputError(this.target, err);
    }
    if (this.temp !== null) await commitTemp(this.temp, this.out.path, this.target);
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.tail;
    await this.discard();
  }

  private async discard(): Promise<void> {
    await this.handle.then((h) => h.close()).catch(() => undefined);
    if (this.temp !== null) await discardTemp(this.temp);
  }
}

/**
 * Standard output. A full pipe makes `write` wait for 'drain'; a reader that
 * goes away (EPIPE, e.g. `| head`) makes it fail instead of hanging or
 * crashing the process with an unhandled 'error' event.
 */
export class StreamSink implements TextSink {
  private failure: DataError | null = null;
  private readonly onError = (err: Error): void => {
    const code = (err as NodeJS.ErrnoException).code;
    this.failure =
      code === "EPIPE" || code === "ERR_STREAM_DESTROYED"
        ? new DataError("-", null, "standard output was closed before all rows were written", "the program reading the output stopped early")
        : new DataError("-", null, `cannot write to standard output: ${err.message}`);
  };

  constructor(private readonly stream: Writable) {
    stream.on("error", this.onError);
  }

  write(text: string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.stream.write(text)) return Promise.resolve();
    return this.settle("drain");
  }

  async close(): Promise<void> {
    try {
      if (this.failure) throw this.failure;
      // An empty write's callback runs once everything before it has been flushed.
      await new Promise<void>((resolve, reject) => {
        this.stream.write("", (err) => (err ? reject(err) : resolve()));
      }).catch((err: Error) => {
        this.onError(err);
        throw this.failure;
      });
    } finally {
      this.detach();
    }
  }

  async abort(): Promise<void> {
    this.detach();
  }

  private detach(): void {
    // Left attached for a moment longer so a late EPIPE still has a listener.
    setImmediate(() => this.stream.off("error", this.onError));
  }

  private settle(event: "drain"): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const finish = (): void => {
        this.stream.off(event, onDrain);
        this.stream.off("error", onFail);
        this.stream.off("close", onFail);
      };
      const onDrain = (): void => {
        finish();
        resolve();
      };
      const onFail = (err?: Error): void => {
        finish();
        if (err) this.onError(err);
        reject(this.failure ?? new DataError("-", null, "standard output was closed before all rows were written"));
      };
      this.stream.once(event, onDrain);
      this.stream.once("error", onFail);
      this.stream.once("close", onFail);
    });
  }
}
