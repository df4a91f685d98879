/**
 * The failures mtl expects: each carries the exit code and the text the CLI
 * prints for it, so `cli/main.ts` needs one `instanceof MtlError`. Anything
 * else that reaches the CLI is a bug. Free of heavy imports: the CLI loads it
 * before any command (and so before TensorFlow.js).
 */
import { EXIT_ERRORS, EXIT_USAGE } from "./cli/exit-codes.js";

export abstract class MtlError extends Error {
  abstract readonly exitCode: number;
  /** What the CLI prints on stderr (without the final newline). */
  abstract report(): string;
}

/** Kinds about how mtl was called or a file it was given: `mtl: message`, exit 2. */
abstract class CallError extends MtlError {
  readonly exitCode = EXIT_USAGE;
  report(): string {
    return `mtl: ${this.message}`;
  }
}

/** Kinds about what the input asks for (a model folder, a model, a run): `mtl: error: message`, exit 1. */
abstract class InputError extends MtlError {
  readonly exitCode = EXIT_ERRORS;
  report(): string {
    return `mtl: error: ${this.message}`;
  }
}

/** A problem with how mtl was called. */
export class UsageError extends CallError {
  override name = "UsageError";
}

/** A spec file that cannot be read (missing, a folder, no permission, too large) or rewritten. */
export class SpecReadError extends CallError {
  override name = "SpecReadError";
}

/** A requested backend cannot be used here. */
export class BackendUnavailableError extends CallError {
  override name = "BackendUnavailableError";
}

/** A model folder that cannot be read or written. */
export class ModelDirError extends InputError {
  override name = "ModelDirError";
}

/**
 * A checkpoint (the `checkpoint/` folder inside a model folder) that cannot
 * be read, does not fit the run, or cannot be written. It is a model-folder
 * error, so the CLI reports it the same way.
 */
export class CheckpointError extends ModelDirError {
  override name = "CheckpointError";
}

/** Training diverged: the loss is no longer a finite number. */
export class NonFiniteLossError extends InputError {
  override name = "NonFiniteLossError";
}

/** A model that cannot fit the current backend's memory. */
export class ModelTooLargeError extends InputError {
  override name = "ModelTooLargeError";
}

/** A model whose picture is too large for Graphviz to lay out in reasonable time and memory. */
export class GraphTooLargeError extends InputError {
  override name = "GraphTooLargeError";
}
