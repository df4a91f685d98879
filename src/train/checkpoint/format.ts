/**
 * What a checkpoint holds and how its arrays are laid out on disk.
 *
 * The arrays of a train step's state (weights, optimiser slots, sparse
 * table slots) go into one binary file, back to back, each as its raw
 * float32 or int32 values, little-endian on every platform; the meta file lists them in order
 * with their name, shape, dtype and byte offset. Plain JSON plus one blob
 * keeps loading free of TensorFlow.js and makes a damaged file easy to spot.
 */
import type { EncodingState } from "../../data/encode/index.js";
import type { ReadOptions } from "../../data/record.js";
import type { ValidIR } from "../../ir/types.js";
import type { NamedArray, TrainStepState } from "../../runtime/graph/index.js";
import type { BalancerState } from "../../runtime/balance/balancer.js";
import type { FileFingerprint } from "../../model-dir/file-manifest.js";
import { nonFiniteCount } from "../../util/finite.js";
import { adviseHugePages } from "../../runtime/backend/huge-pages.js";

export const CHECKPOINT_VERSION = 1;

/**
 * Where training stands. `batch` counts the batches of `epoch` already
 * consumed (trained on, or skipped because no row of them was usable);
 * `epochComplete` says every batch of `epoch` was consumed, and only the
 * epoch's evaluation may remain. Together with the seed they fix the data
 * order: the epoch's shuffle is seeded, so replaying it reaches the same row.
 */
export interface CheckpointPosition {
  /** Steps trained in total; also what dropout is seeded from. */
  steps: number;
  epoch: number;
  batch: number;
  epochComplete: boolean;
}

/** The training file, by content: a resumed run must read the same rows. */
export interface DataFingerprint extends FileFingerprint {
  /** Absolute path when the checkpoint was written (the default --data on resume). */
  file: string;
}

/** The training file as a run record names it before reading it: its fingerprint comes once it has been read (run-record.ts). */
export type RecordedData = { file: string } & Partial<FileFingerprint>;

/** How the run was started; what `mtl train --resume DIR` reuses when not given again. */
export interface CheckpointRun<Data extends RecordedData = DataFingerprint> {
  data: Data;
  read: ReadOptions;
  valid: { file: string; read: ReadOptions } | null;
  shuffleBuffer: number;
  skipBadRows: number;
  maxSteps: number | null;
  /** --checkpoint-every N: steps between checkpoints; 0: none by step count. */
  checkpointEvery: number;
  /** --checkpoint-every TIME: seconds between checkpoints; 0, or absent (older checkpoints): none by time. */
  checkpointSeconds?: number;
}

/**
 * A run as a folder describes it, for `mtl train --resume`: the spec (its IR
 * with the command-line overrides) and the run's settings. Checkpoint metas
 * and run records (run-record.ts) both hold one.
 */
export interface RunDescription<Data extends RecordedData = DataFingerprint> {
  /** SHA-256 of the IR without what may change on resume (see compat.ts). */
  irHash: string;
  ir: ValidIR;
  spec: string;
  run: CheckpointRun<Data>;
}

export interface ArrayEntry {
  /** Which part of the train step's state the array belongs to. */
  part: "weight" | "optimizer" | "sparse";
  /** Weight or slot name; for "sparse", the table (its slots follow in order). */
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
  /** Byte offset in the arrays file; values follow for shape's product elements. */
  offset: number;
}

export interface CheckpointMeta extends RunDescription {
  format: "mtl-checkpoint";
  version: typeof CHECKPOINT_VERSION;
  position: CheckpointPosition;
  /** The run had finished training when this was written (a resume only evaluates and saves again). */
  finished: boolean;
  /** Bad rows skipped by the fitting pass (reported once, by the run that fitted). */
  fitSkipped: number;
  logVariances: Record<string, number>;
  /** The gradnorm or dwa task weights' state (src/runtime/balance); absent under fixed and uncertainty weighting. */
  balancer?: BalancerState;
  arrays: ArrayEntry[];
}

/** A checkpoint in memory: what save writes and load returns. */
export interface Checkpoint {
  meta: CheckpointMeta;
  encoding: EncodingState;
  state: TrainStepState;
}

/** The state's arrays as one buffer and the entries that locate them. */
export function packArrays(state: TrainStepState): { bytes: Uint8Array; entries: ArrayEntry[] } {
  const copied = (values: Float32Array | Int32Array) => ({
    length: values.length,
    copy: (into: Uint8Array) => into.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)),
  });
  const items: { entry: Omit<ArrayEntry, "offset">; length: number; copy(into: Uint8Array): void }[] = [
    ...state.weights.map((a) => ({ entry: { part: "weight" as const, name: a.name, shape: a.shape, dtype: a.dtype }, ...copied(a.values) })),
    ...state.optimizer.map((a) => ({ entry: { part: "optimizer" as const, name: a.name, shape: a.shape, dtype: a.dtype }, ...copied(a.values) })),
    ...state.sparse.flatMap((t) => {
      const sparse = (length: number) => ({ part: "sparse" as const, name: t.table, shape: [length], dtype: "float32" as const });
      // Slots not split into arrays yet are written straight into the buffer (sparse-embeddings.ts SlotWriter),
      // which then holds the export's arrays: not where the buffer's words are swapped after.
      const writer = LITTLE_ENDIAN ? t.writer : undefined;
      if (writer === undefined) return t.slots.map((values) => ({ entry: sparse(values.length), ...copied(values) }));
      return Array.from({ length: writer.count }, (_, slot) => ({
        entry: sparse(writer.size),
        length: writer.size,
        copy: (into: Uint8Array) => writer.write(slot, new Float32Array(into.buffer, into.byteOffset, writer.size)),
      }));
    }),
  ];
  const total = items.reduce((sum, item) => sum + item.length * 4, 0);
  const bytes = new Uint8Array(total);
  // Fresh memory, faulted in as it is written: 2 MiB at a time where the system takes the advice (a recsys
  // model's 500 MB took 1.7 s a checkpoint 4 KiB at a time on the benchmark VM, 0.2-1 s so).
  adviseHugePages(bytes);
  const entries: ArrayEntry[] = [];
  let offset = 0;
  for (const { entry, length, copy } of items) {
    copy(bytes.subarray(offset, offset + length * 4));
    entries.push({ ...entry, offset });
    offset += length * 4;
  }
  if (!LITTLE_ENDIAN) swapWords(bytes);
  return { bytes, entries };
}

/** Typed arrays use the platform's byte order; the file is little-endian everywhere. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Reverses the bytes of every 4-byte word in place (every value here is 4 bytes wide). */
function swapWords(bytes: Uint8Array): void {
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    [bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]] = [bytes[i + 3]!, bytes[i + 2]!, bytes[i + 1]!, bytes[i]!];
  }
}

/**
 * The train step's state from the arrays file and the meta. Throws an Error
 * saying what does not fit (the caller names the file).
 */
export function unpackArrays(bytes: Uint8Array, meta: Pick<CheckpointMeta, "arrays" | "position" | "logVariances" | "balancer">): TrainStepState {
  const state: TrainStepState = { steps: meta.position.steps, weights: [], optimizer: [], sparse: [], logVariances: meta.logVariances, ...(meta.balancer && { balancer: meta.balancer }) };
  let expectedOffset = 0;
  for (const entry of meta.arrays) {
    const length = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.offset !== expectedOffset || entry.offset + length * 4 > bytes.byteLength) {
      throw new Error(`the array '${entry.name}' does not lie where the meta file says (byte ${entry.offset})`);
    }
    expectedOffset += length * 4;
    const values = arrayAt(bytes, entry.offset, length, entry.dtype);
    if (entry.part === "sparse") {
      const last = state.sparse.at(-1);
      if (last?.table === entry.name) last.slots.push(values as Float32Array);
      else state.sparse.push({ table: entry.name, slots: [values as Float32Array] });
    } else {
      const array: NamedArray = { name: entry.name, shape: entry.shape, dtype: entry.dtype, values };
      (entry.part === "weight" ? state.weights : state.optimizer).push(array);
    }
  }
  if (expectedOffset !== bytes.byteLength) throw new Error(`it holds ${bytes.byteLength} bytes, the meta file lists ${expectedOffset}`);
  return state;
}

/**
 * The `length` values at byte `offset` of `bytes`: a view where they lie
 * 4-aligned in memory on a little-endian machine (a loaded checkpoint's
 * arrays file, read into a buffer of its own, is taken as it is: copying it
 * cost as much again as reading it), else a copy in a fresh buffer (swapped
 * on a big-endian machine).
 */
function arrayAt(bytes: Uint8Array, offset: number, length: number, dtype: NamedArray["dtype"]): Float32Array | Int32Array {
  const view = (buffer: ArrayBufferLike, at: number) => (dtype === "int32" ? new Int32Array(buffer, at, length) : new Float32Array(buffer, at, length));
  const at = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN && at % 4 === 0) return view(bytes.buffer, at);
  const raw = new Uint8Array(length * 4);
  raw.set(bytes.subarray(offset, offset + length * 4));
  if (!LITTLE_ENDIAN) swapWords(raw);
  return view(raw.buffer, 0);
}

/** The first non-finite value of the state's weights, if any (a checkpoint must not keep one). */
export function firstNonFiniteWeight(state: TrainStepState): { name: string; value: number } | null {
  for (const array of state.weights) {
    // util/finite.ts's pass proves the nearly-always case: a value at a time took 0.45 s per checkpoint of a recsys model.
    if (!(array.values instanceof Float32Array) || nonFiniteCount(array.values) === 0) continue;
    for (const value of array.values) if (!Number.isFinite(value)) return { name: array.name, value };
  }
  return null;
}
