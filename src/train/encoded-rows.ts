import { createHash } from "node:crypto";
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { createColumnEncoder, type SlotLayout } from "../data/encode/columns.js";
import { BadRowBudget } from "../data/readers/bad-rows.js";
import type { CsvBlock } from "../data/readers/csv-columns.js";
import { readCsvBlocks } from "../data/readers/csv.js";
import { checkColumns, neededColumns } from "./columns.js";
import {
  batchTargets,
  createEncoder,
  ENCODING_STATE_VERSION,
  LabelValueCounter,
  numberColumns,
  serializeEncoding,
  type EncodedBatch,
  type Encoder,
  type EncodingState,
  type LabelValues,
} from "../data/encode/index.js";
import { DataError, type RawRecord, type ReadOptions } from "../data/record.js";
import type { ValidIR } from "../ir/types.js";
import { Rng } from "../util/random.js";
import { SkipBudget } from "./bad-rows.js";

/**
 * Encoded rows kept in memory up to this many bytes (1 GiB: 2.6 million rows
 * of 100 numeric features); a larger file is encoded into a binary cache on
 * disk beside the model (OUT/data-cache/), read back a batch at a time.
 */
export const DATA_MEMORY_BYTES = 1 << 30;

/** The folder of the on-disk caches inside the output folder. */
export const DATA_CACHE_DIR = "data-cache";

const MAGIC = "mtl-encoded-rows";
const CACHE_VERSION = 1;
/** Rows per block of the in-memory store (grown a block at a time, never copied). */
const BLOCK_ROWS = 8192;
/** Rows read and encoded together while building. */
const ENCODE_BATCH = 1024;

/** What one row of the store holds, as 4-byte slots: its line, then the encoder's arrays, labels and masks. */
interface RowFormat {
  slots: number;
  features: { name: string; dtype: "int32" | "float32"; offset: number; length: number }[];
  labels: { task: string; offset: number }[];
  masks: { task: string; offset: number }[];
}

/** The slots of the row format by name, for the column encoder. */
function slotLayout(format: RowFormat): SlotLayout {
  return {
    slots: format.slots,
    features: new Map(format.features.map((f) => [f.name, f.offset])),
    labels: new Map(format.labels.map((l) => [l.task, l.offset])),
    masks: new Map(format.masks.map((m) => [m.task, m.offset])),
  };
}

function rowFormat(ir: ValidIR, encoder: Encoder): RowFormat {
  let offset = 1;
  const features = encoder.layout.map((f) => {
    const slot = { name: f.name, dtype: f.dtype, offset, length: f.length };
    offset += f.length;
    return slot;
  });
  const targets = batchTargets(ir);
  const labels = targets.labels.map((task) => ({ task, offset: offset++ }));
  const masks = targets.masks.map((task) => ({ task, offset: offset++ }));
  return { slots: offset, features, labels, masks };
}

/** Where the rows live: memory blocks, or a cache file read a row at a time. */
interface RowStore {
  readonly where: "memory" | "disk";
  /** Copies row `row` (all its slots) into `out` at `at`. */
  read(row: number, out: Int32Array, at: number): void;
  dispose(): void;
}

/**
 * A data file read, checked and encoded once, for every later pass: the
 * epochs, the priors, the metrics after each epoch and the validation. An
 * epoch then costs no reading, parsing or encoding, only a gather of its rows.
 */
export class EncodedRows {
  constructor(
    readonly rows: number,
    /** Bad rows left out under --skip-bad-rows while encoding. */
    readonly skipped: number,
    /** The binary labels' values, as evaluation checks them (LabelValueCounter). */
    readonly labelValues: Record<string, LabelValues>,
    private readonly format: RowFormat,
    private readonly store: RowStore,
  ) {}

  get where(): "memory" | "disk" {
    return this.store.where;
  }

  /** The rows `order[from..to)` (or rows from..to without an order) as one batch, with their lines in the file. */
  gather(order: Int32Array | null, from: number, to: number): { batch: EncodedBatch; lines: Int32Array } {
    const n = to - from;
    const { slots } = this.format;
    const raw = new Int32Array(n * slots);
    for (let i = 0; i < n; i++) this.store.read(order ? order[from + i]! : from + i, raw, i * slots);
    const floats = new Float32Array(raw.buffer);
    const lines = new Int32Array(n);
    for (let i = 0; i < n; i++) lines[i] = raw[i * slots]!;
    const features: Record<string, Int32Array | Float32Array> = {};
    for (const f of this.format.features) {
      const out = f.dtype === "int32" ? new Int32Array(n * f.length) : new Float32Array(n * f.length);
      const source = f.dtype === "int32" ? raw : floats;
      const len = f.length;
      // A wide feature (a numeric block) by one copy per row, a narrow one value by value.
      if (len >= 8) for (let i = 0; i < n; i++) out.set(source.subarray(i * slots + f.offset, i * slots + f.offset + len), i * len);
      else
        for (let i = 0; i < n; i++) {
          const at = i * slots + f.offset;
          for (let k = 0; k < len; k++) out[i * len + k] = source[at + k]!;
        }
      features[f.name] = out;
    }
    return { batch: { size: n, features, ...this.targetsOf(floats, n) }, lines };
  }

  /**
   * The labels and masks of the rows in file order, `size` rows at a time, as batches without features: what the
   * passes over the labels before training read (priors, sample weights), without copying every feature out.
   */
  *targets(size: number): Generator<{ batch: EncodedBatch }> {
    const { slots } = this.format;
    const raw = new Int32Array(size * slots);
    const floats = new Float32Array(raw.buffer);
    for (let from = 0; from < this.rows; from += size) {
      const n = Math.min(size, this.rows - from);
      for (let i = 0; i < n; i++) this.store.read(from + i, raw, i * slots);
      yield { batch: { size: n, features: {}, ...this.targetsOf(floats, n) } };
    }
  }

  /** The labels and masks of `n` rows read into `floats`. */
  private targetsOf(floats: Float32Array, n: number): Pick<EncodedBatch, "labels" | "masks"> {
    const { slots } = this.format;
    const column = (offset: number): Float32Array => {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = floats[i * slots + offset]!;
      return out;
    };
    const labels: Record<string, Float32Array> = {};
    for (const l of this.format.labels) labels[l.task] = column(l.offset);
    const masks: Record<string, Float32Array> = {};
    for (const m of this.format.masks) masks[m.task] = column(m.offset);
    return { labels, masks };
  }

  /** Batches of `size` in file order, or in `order`. */
  *batches(size: number, order: Int32Array | null = null): Generator<{ batch: EncodedBatch; lines: Int32Array }> {
    for (let from = 0; from < this.rows; from += size) yield this.gather(order, from, Math.min(from + size, this.rows));
  }

  dispose(): void {
    this.store.dispose();
  }
}

/**
 * A full permutation of `rows` rows, seeded: the same seed gives the same
 * order on every machine, so a resumed epoch replays exactly.
 */
export function permutation(rows: number, seed: string): Int32Array {
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  return new Rng(seed).shuffle(order);
}

export interface EncodeOptions {
  skipBadRows: number;
  /** Bytes of rows kept in memory before the on-disk cache is used (DATA_MEMORY_BYTES by default). */
  memoryBytes?: number;
  /** The output folder: the on-disk cache goes into its data-cache/ folder. */
  out: string;
  /** The cache's name in that folder ("train", "valid"). */
  role: string;
  /** Reads the labelled records of the file with the given reader limits (the trainer's readLabelled). */
  read: (budget: Pick<SkipBudget, "readerLimits">) => AsyncIterable<RawRecord>;
  /** Hears of every bad row skipped (to report it): the first pass over the file reports them. */
  onSkip?: (error: DataError) => void;
  /**
   * For a CSV file, readLabelledBlocks: the rows are then read and encoded
   * a block of columns at a time instead of through `read`, with the same
   * rows, values and errors (test/train/encoded-rows-csv.test.ts) in a
   * fraction of the time.
   */
  readBlocks?: ((budget: Pick<SkipBudget, "readerLimits">) => AsyncIterable<CsvBlock>) | undefined;
  /** Checked between batches of records: stop early. */
  stopRequested?: () => boolean;
  onStop?: () => Error;
}

/**
 * Reads and encodes `source` once. Up to `memoryBytes` of rows stay in
 * memory; beyond that they are written to OUT/data-cache/ROLE.bin, whose
 * header names the data file's identity (absolute path, size, modification
 * time, SHA-256 of its first and last 64 KiB) and the encoding (the encoding
 * state, the features, tasks, read options and the bad-row allowance): a
 * later run with the same of both reads the cache instead of the file, and
 * any change rebuilds it. The cache is written to a temporary file and
 * renamed, so a killed run never leaves a half cache that looks whole.
 *
 * Bad rows go through one --skip-bad-rows allowance, in file order (the
 * rows read before a reader-rejected row are encoded first, so an encoder
 * error in an earlier row is the one reported).
 */
export async function encodeRows(ir: ValidIR, encoder: Encoder, encoding: EncodingState, source: { file: string; read: ReadOptions }, options: EncodeOptions): Promise<EncodedRows> {
  const format = rowFormat(ir, encoder);
  const cachePath = join(options.out, DATA_CACHE_DIR, `${options.role}.bin`);
  const key = cacheKey(ir, encoding, source, options.skipBadRows);
  const cached = openCache(cachePath, key, format, format.slots * 4);
  if (cached) return cached;
  // Another file's or encoding's rows (or a damaged cache): never to be read again, whatever this run keeps.
  rmSync(cachePath, { force: true });
  return buildRows(ir, encoder, encoding, format, source, options, cachePath, () => key);
}

/** Whether `ir` has statistics to fit (numeric features): without any, an encoding is only the rows' count and label values. */
export function hasStatistics(ir: ValidIR): boolean {
  return ir.features.some((f) => f.kind === "numeric");
}

/**
 * For a spec without statistics to fit (hasStatistics false: hashed and
 * vocabulary ids, sequences), encodes `source` in one pass and returns the
 * encoding fitEncoding would have found, from the same pass: the rows kept
 * and their label values (the same LabelValueCounter), which is all such an
 * encoding holds. So the file is read once instead of twice. The encoder
 * checks every row fitEncoding checks (labels, where, weights) and more.
 * No cache is read (its key names the encoding, which is known only at the
 * end); the rows are cached as encodeRows caches them, under the key of the
 * final encoding, so a resumed run (which has that encoding) finds them.
 */
export async function encodeUnfitted(ir: ValidIR, source: { file: string; read: ReadOptions }, options: EncodeOptions): Promise<{ rows: EncodedRows; encoding: EncodingState }> {
  if (hasStatistics(ir)) throw new Error("encodeUnfitted: the spec has numeric features, whose statistics must be fitted first");
  const empty: EncodingState = { version: ENCODING_STATE_VERSION, rows: 0, features: {}, labels: {} };
  const encoder = createEncoder(ir, empty);
  const format = rowFormat(ir, encoder);
  const cachePath = join(options.out, DATA_CACHE_DIR, `${options.role}.bin`);
  rmSync(cachePath, { force: true });
  let encoding = empty;
  const rows = await buildRows(ir, encoder, empty, format, source, options, cachePath, (count, labelValues) => {
    // In fitEncoding's order of keys, so encoding.json is the same file.
    encoding = { version: ENCODING_STATE_VERSION, rows: count, features: {}, labels: labelValues };
    return cacheKey(ir, encoding, source, options.skipBadRows);
  });
  return { rows, encoding };
}

/** The one pass of encodeRows and encodeUnfitted: rows into memory, or past `memoryBytes` into the cache file, whose header takes `key`. */
async function buildRows(
  ir: ValidIR,
  encoder: Encoder,
  encoding: EncodingState,
  format: RowFormat,
  source: { file: string; read: ReadOptions },
  options: EncodeOptions,
  cachePath: string,
  key: (rows: number, labelValues: Record<string, LabelValues>) => string,
): Promise<EncodedRows> {
  const budget = new SkipBudget(options.skipBadRows, options.onSkip);
  const labels = new LabelValueCounter(ir);
  const builder = new StoreBuilder(format.slots, options.memoryBytes ?? DATA_MEMORY_BYTES, cachePath);
  const pending: RawRecord[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    const bad = new Set<number>();
    const encoded = encoder.encodeBatch(pending, source.file, { onBadRow: (e) => (budget.take(e), bad.add(e.line ?? -1)) });
    const kept = bad.size === 0 ? pending : pending.filter((r) => !bad.has(r.line));
    for (const r of kept) labels.add(r.fields);
    builder.append(encoded, format, kept);
    pending.length = 0;
  };
  const readerBudget = {
    readerLimits: (check?: Parameters<SkipBudget["readerLimits"]>[0]) => ({
      ...budget.readerLimits(check),
      onSkip: (error: DataError) => {
        flush();
        budget.take(error);
      },
    }),
  };
  try {
    if (options.readBlocks) {
      const encodeColumns = createColumnEncoder(ir, encoding, slotLayout(format));
      const numbers = numberColumns(ir);
      for await (const { columns, from, to } of options.readBlocks(readerBudget)) {
        const n = to - from;
        const rows = new Int32Array(n * format.slots);
        const fields = encodeColumns.encode(columns, from, to, rows);
        if (fields) {
          for (let i = 0; i < n; i++) rows[i * format.slots] = columns.lines[from + i]!;
          for (const f of fields) labels.add(f);
          builder.add(rows, n);
        } else {
          // A bad row in the block: the block goes through the record encoder, which reports (or skips) it as ever.
          for (const record of columns.records(from, to, numbers)) pending.push(record);
          flush();
        }
        if (options.stopRequested?.()) throw options.onStop!();
      }
    } else {
      for await (const record of options.read(readerBudget)) {
        pending.push(record);
        if (pending.length >= ENCODE_BATCH) {
          flush();
          if (options.stopRequested?.()) throw options.onStop!();
        }
      }
    }
    flush();
  } catch (error) {
    builder.abandon();
    throw error;
  }
  const labelValues = labels.result();
  const header = { magic: MAGIC, version: CACHE_VERSION, key: key(builder.rows, labelValues), rows: builder.rows, slots: format.slots, skipped: budget.skipped.length, labelValues };
  return new EncodedRows(builder.rows, budget.skipped.length, header.labelValues, format, builder.finish(header));
}

/**
 * readLabelled (src/train/trainer.ts) for the encoder alone, as blocks of
 * columns: a CSV file's needed columns, number columns read as numbers, the
 * file checked for every column the spec reads at its first row.
 */
export async function* readLabelledBlocks(ir: ValidIR, source: { file: string; read: ReadOptions }, budget: Pick<SkipBudget, "readerLimits">): AsyncGenerator<CsvBlock> {
  const needed = neededColumns(ir, true);
  const consumer = { numbers: numberColumns(ir), columns: new Set(needed.map((n) => n.column)) };
  let first = true;
  for await (const block of readCsvBlocks(source.file, source.read, new BadRowBudget(budget.readerLimits()), consumer)) {
    if (first) {
      first = false;
      checkColumns(new Set(block.columns.names), needed, source.file, source.read);
    }
    yield block;
  }
}

/** The identity of the data file and of its encoding, as the cache header records it. */
function cacheKey(ir: ValidIR, encoding: EncodingState, source: { file: string; read: ReadOptions }, skipBadRows: number): string {
  const path = resolve(source.file);
  const stat = statSync(path);
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const edge = Buffer.alloc(Math.min(65536, stat.size));
    readSync(fd, edge, 0, edge.length, 0);
    hash.update(edge);
    readSync(fd, edge, 0, edge.length, Math.max(0, stat.size - edge.length));
    hash.update(edge);
  } finally {
    closeSync(fd);
  }
  const identity = { path, size: stat.size, mtimeMs: stat.mtimeMs, edges: hash.digest("hex") };
  const encodingKey = createHash("sha256")
    // The blocks decide the row layout: a cache written before them holds the same slots in another order.
    .update(JSON.stringify({ features: ir.features, numericBlocks: ir.numericBlocks, tasks: ir.tasks, read: source.read, skipBadRows }))
    .update(serializeEncoding(encoding))
    .digest("hex");
  return JSON.stringify({ identity, encoding: encodingKey });
}

interface CacheHeader {
  magic: string;
  version: number;
  key: string;
  rows: number;
  slots: number;
  skipped: number;
  labelValues: Record<string, LabelValues>;
}

/**
 * The header goes at the end (JSON, then its length in 8 bytes), so the rows
 * can be streamed to the file as they are encoded and start at offset 0.
 */
function trailerBytes(header: CacheHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const out = Buffer.alloc(json.length + 8);
  json.copy(out, 0);
  out.writeBigUInt64LE(BigInt(json.length), json.length);
  return out;
}

/** The cache at `path` when its header matches `key` and its size the rows it claims; else null (and it will be rebuilt). */
function openCache(path: string, key: string, format: RowFormat, rowBytes: number): EncodedRows | null {
  if (!existsSync(path)) return null;
  const fd = openSync(path, "r");
  let keep = false;
  try {
    const size = fstatSync(fd).size;
    if (size < 8) return null;
    const lengthBytes = Buffer.alloc(8);
    readSync(fd, lengthBytes, 0, 8, size - 8);
    const length = Number(lengthBytes.readBigUInt64LE(0));
    if (length > 1 << 26 || length + 8 > size) return null;
    const json = Buffer.alloc(length);
    readSync(fd, json, 0, length, size - 8 - length);
    let header: CacheHeader;
    try {
      header = JSON.parse(json.toString("utf8")) as CacheHeader;
    } catch {
      return null;
    }
    if (header.magic !== MAGIC || header.version !== CACHE_VERSION || header.key !== key || header.slots !== format.slots || size - 8 - length !== header.rows * rowBytes) return null;
    keep = true;
    return new EncodedRows(header.rows, header.skipped, header.labelValues, format, new DiskStore(fd, format.slots));
  } finally {
    if (!keep) closeSync(fd);
  }
}

/** Rows read from the cache file with one positioned read per row (the page cache keeps hot ones in memory). */
class DiskStore implements RowStore {
  readonly where = "disk";
  private readonly bytes: number;

  constructor(
    private readonly fd: number,
    slots: number,
  ) {
    this.bytes = slots * 4;
  }

  read(row: number, out: Int32Array, at: number): void {
    readSync(this.fd, out, at * 4, this.bytes, row * this.bytes);
  }

  dispose(): void {
    closeSync(this.fd);
  }
}

class MemoryStore implements RowStore {
  readonly where = "memory";

  constructor(
    private readonly blocks: Int32Array[],
    private readonly slots: number,
  ) {}

  read(row: number, out: Int32Array, at: number): void {
    const block = this.blocks[Math.floor(row / BLOCK_ROWS)]!;
    const from = (row % BLOCK_ROWS) * this.slots;
    out.set(block.subarray(from, from + this.slots), at);
  }

  dispose(): void {
    this.blocks.length = 0;
  }
}

/** Collects encoded rows in memory blocks, moving them to a temporary cache file once they pass the memory bound. */
class StoreBuilder {
  rows = 0;
  private blocks: Int32Array[] = [];
  private temp: { path: string; fd: number } | null = null;

  constructor(
    private readonly slots: number,
    private readonly memoryBytes: number,
    private readonly cachePath: string,
  ) {}

  append(encoded: EncodedBatch, format: RowFormat, kept: readonly RawRecord[]): void {
    const { slots } = this;
    const rows = new Int32Array(encoded.size * slots);
    const floats = new Float32Array(rows.buffer);
    for (let i = 0; i < encoded.size; i++) rows[i * slots] = kept[i]!.line;
    for (const f of format.features) {
      const values = encoded.features[f.name]!;
      const target = f.dtype === "int32" ? rows : floats;
      for (let i = 0; i < encoded.size; i++) {
        for (let k = 0; k < f.length; k++) target[i * slots + f.offset + k] = values[i * f.length + k]!;
      }
    }
    for (const l of format.labels) {
      const values = encoded.labels[l.task]!;
      for (let i = 0; i < encoded.size; i++) floats[i * slots + l.offset] = values[i]!;
    }
    for (const m of format.masks) {
      const values = encoded.masks[m.task]!;
      for (let i = 0; i < encoded.size; i++) floats[i * slots + m.offset] = values[i]!;
    }
    this.add(rows, encoded.size);
  }

  /** Rows already in the store's layout (`slots` per row). */
  add(rows: Int32Array, count: number): void {
    if (this.temp === null && (this.rows + count) * this.slots * 4 > this.memoryBytes) this.spill();
    if (this.temp !== null) {
      writeAllSync(this.temp.fd, rows);
    } else {
      // A block's worth of rows at a time: a view per row cost more than the copy.
      for (let i = 0; i < count; ) {
        const row = this.rows + i;
        if (row % BLOCK_ROWS === 0) this.blocks.push(new Int32Array(BLOCK_ROWS * this.slots));
        const run = Math.min(count - i, BLOCK_ROWS - (row % BLOCK_ROWS));
        this.blocks[this.blocks.length - 1]!.set(rows.subarray(i * this.slots, (i + run) * this.slots), (row % BLOCK_ROWS) * this.slots);
        i += run;
      }
    }
    this.rows += count;
  }

  /** Past the memory bound: the rows so far go to a temporary file (the header is written at the end). */
  private spill(): void {
    mkdirSync(join(this.cachePath, ".."), { recursive: true });
    const path = `${this.cachePath}.${process.pid}.tmp`;
    const fd = openSync(path, "w");
    this.temp = { path, fd };
    for (let b = 0; b < this.blocks.length; b++) {
      const rowsInBlock = Math.min(BLOCK_ROWS, this.rows - b * BLOCK_ROWS);
      writeAllSync(fd, this.blocks[b]!.subarray(0, rowsInBlock * this.slots));
    }
    this.blocks = [];
  }

  /** The store: the memory blocks, or the cache file (its header appended, synced, then renamed into place). */
  finish(header: CacheHeader): RowStore {
    if (this.temp === null) return new MemoryStore(this.blocks, this.slots);
    const { path, fd } = this.temp;
    writeAllSync(fd, trailerBytes(header));
    fsyncSync(fd);
    closeSync(fd);
    this.temp = null;
    renameSync(path, this.cachePath);
    return new DiskStore(openSync(this.cachePath, "r"), this.slots);
  }

  abandon(): void {
    if (this.temp === null) return;
    closeSync(this.temp.fd);
    rmSync(this.temp.path, { force: true });
    this.temp = null;
  }
}

function writeAllSync(fd: number, data: ArrayBufferView): void {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
}
