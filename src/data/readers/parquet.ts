import type { FileHandle } from "node:fs/promises";
import {
  parquetMetadataAsync,
  parquetScan,
  parquetSchema,
  type AsyncBuffer,
  type DecodedArray,
  type FileMetaData,
  type ParquetScan,
  type SchemaTree,
} from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { DataError, type RawRecord, type RawValue, type ReadOptions } from "../record.js";
import type { BadRowBudget } from "./bad-rows.js";
import { openDataFile } from "./byte-source.js";
import { fileError } from "./file-errors.js";
import { missingMarkers, setField } from "./fields.js";
import { checkChunkPages, checkMetadata, ParquetDamage, type ChunkLayout } from "./parquet-layout.js";

const MAGIC = "PAR1";
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Streams a Parquet file one row group at a time: hyparquet reads only the
 * byte ranges of the group asked for, through a file handle, so memory is
 * bounded by the largest row group rather than the file. The next group is
 * read while the current one is handed out. `line` is the 1-based row number.
 */
export async function* readParquet(file: string, opts: ReadOptions, budget: BadRowBudget): AsyncGenerator<RawRecord, void, undefined> {
  const handle = await openDataFile(file);
  try {
    const size = (await handle.stat()).size;
    await checkMagic(file, handle, size);
    const buffer = fileHandleBuffer(handle, size);
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(buffer);
    } catch {
      // hyparquet's own words here are thrift and JavaScript internals ("thrift unhandled type: 14").
      throw new DataError(file, null, "the Parquet footer (the file's metadata) is damaged and cannot be read", DAMAGED_HINT);
    }
    let schema: SchemaTree;
    let layout: ChunkLayout[][];
    let scan: ParquetScan;
    try {
      schema = parquetSchema(metadata);
      layout = checkMetadata(metadata, schema, size);
      scan = await parquetScan({ file: buffer, metadata, compressors, parsers: { stringFromBytes }, useOffsetIndex: false });
    } catch (err) {
      throw damaged(file, null, err, "the Parquet footer (the file's metadata) is damaged");
    }
    const names = schema.children.map((c) => c.element.name);
    const convert = new ValueConverter(missingMarkers(opts.missing));
    const groups = groupRanges(metadata, layout);

    let yielded = 0;
    let next = groups.length > 0 ? readGroup(file, buffer, scan, names, groups[0]!) : null;
    for (let g = 0; g < groups.length; g++) {
      const columns = await next!;
      // Decoding the next group overlaps with the consumer's work on this one; a failure surfaces when awaited.
      next = g + 1 < groups.length ? readGroup(file, buffer, scan, names, groups[g + 1]!) : null;
      next?.catch(() => undefined);
      const { start, end } = groups[g]!;
      for (let r = 0; r < end - start; r++) {
        const fields: Record<string, RawValue> = {};
        let invalid: string | null = null;
        for (let c = 0; c < names.length; c++) {
          setField(fields, names[c]!, convert.value(columns[c]![r]) as RawValue);
          if (convert.invalidText && invalid === null) invalid = names[c]!;
          convert.invalidText = false;
        }
        const record: RawRecord = { line: start + r + 1, fields };
        if (invalid !== null) {
          budget.reject(
            new DataError(
              file,
              record.line,
              `the text in column '${invalid}' has bytes that are not valid UTF-8`,
              "write the column as UTF-8 text (e.g. decode it before saving with pyarrow or pandas)",
              invalid,
            ),
          );
          continue;
        }
        if (budget.accept(record, file)) {
          yielded++;
          yield record;
        }
      }
    }
    if (yielded === 0) throw budget.noRows(file, null, "the Parquet file has no data rows");
  } finally {
    await handle.close().catch(() => undefined);
  }
}

interface GroupRange {
  start: number;
  end: number;
  chunks: ChunkLayout[];
}

function groupRanges(metadata: FileMetaData, layout: ChunkLayout[][]): GroupRange[] {
  const ranges: GroupRange[] = [];
  let start = 0;
  for (const [g, group] of metadata.row_groups.entries()) {
    const rows = Number(group.num_rows);
    if (rows > 0) ranges.push({ start, end: start + rows, chunks: layout[g]! });
    start += rows;
  }
  return ranges;
}

/**
 * One group's columns, decoded straight into column arrays (no intermediate
 * row arrays), once their page headers have been checked against the file.
 */
async function readGroup(file: string, buffer: AsyncBuffer, scan: ParquetScan, names: string[], range: GroupRange): Promise<DecodedArray[]> {
  const rows = `the Parquet rows ${range.start + 1}-${range.end} cannot be decoded`;
  try {
    for (const chunk of range.chunks) await checkChunkPages(buffer, chunk);
  } catch (err) {
    throw damaged(file, range.start + 1, err, rows);
  }
  return Promise.all(
    names.map(async (column, c) => {
      try {
        return await scan.readColumn({ column, rowStart: range.start, rowEnd: range.end });
      } catch (err) {
        throw damaged(file, range.start + 1, err, `${rows}: ${range.chunks[c]?.where ?? `column '${column}'`}`);
      }
    }),
  );
}

const DAMAGED_HINT = "the file is damaged or was not fully written; write it again";

/**
 * A failure while reading the file's structure or data, as a file error.
 * Our own layout checks say what is wrong and where; hyparquet's messages
 * are kept only when they name an unsupported feature, since the others are
 * decoder internals that mean the bytes are damaged.
 */
function damaged(file: string, line: number | null, err: unknown, context: string): DataError {
  if (err instanceof DataError) return err;
  if (err instanceof ParquetDamage) return new DataError(file, line, `${context}: ${err.message}`, DAMAGED_HINT);
  const unsupported = /^parquet unsupported (.+)$/.exec(messageOf(err));
  if (unsupported) {
    return new DataError(file, line, `${context}: it uses an unsupported ${unsupported[1]}`, "rewrite the file with common settings (e.g. pyarrow's defaults) and retry");
  }
  return new DataError(file, line, `${context}: the data is damaged`, DAMAGED_HINT);
}

/** hyparquet's view of the file: positional reads through one handle, so only the requested ranges are ever in memory. */
function fileHandleBuffer(handle: FileHandle, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      const length = Math.max(0, Math.min(end, size) - start);
      const bytes = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(bytes, done, length - done, start + done);
        if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${start + done}`);
        done += bytesRead;
      }
      return bytes.buffer;
    },
  };
}

async function checkMagic(file: string, handle: FileHandle, size: number): Promise<void> {
  if (size === 0) throw new DataError(file, null, "the file is empty: no data rows", "a data file needs at least one data row");
  const head = Buffer.alloc(4);
  const tail = Buffer.alloc(4);
  try {
    await handle.read(head, 0, 4, 0);
    if (size >= 8) await handle.read(tail, 0, 4, size - 4);
  } catch (err) {
    throw fileError(file, err);
  }
  if (head.toString("latin1") !== MAGIC) {
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    throw new DataError(
      file,
      null,
      "this is not a Parquet file (it does not start with PAR1)",
      gzip ? "it is gzip-compressed; decompress it, or set the format to csv or jsonl if that is what it holds" : "check the data format: csv or jsonl?",
    );
  }
  if (size < 12 || tail.toString("latin1") !== MAGIC) {
    throw new DataError(file, null, "the Parquet file is truncated: its footer is missing", "the file was not fully written or copied; write it again");
  }
}

/**
 * Parquet values in the shapes the encoder takes: 64-bit integers become
 * numbers when exact and decimal strings otherwise, NaN means missing (as in
 * pandas), dates become ISO text, lists stay arrays, and anything else
 * (structs, maps, raw bytes) becomes text so an unused column does no harm.
 */
class ValueConverter {
  /** Set when a value was text that is not valid UTF-8 (it converts to null); the caller clears it. */
  invalidText = false;

  constructor(private readonly missing: Set<string>) {}

  value(v: unknown): unknown {
    switch (typeof v) {
      case "string":
        return this.missing.size > 0 && this.missing.has(v.trim()) ? null : v;
      case "number":
        return Number.isNaN(v) ? null : v;
      case "boolean":
        return v;
      case "bigint":
        return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v.toString();
      case "undefined":
        return null;
      default:
        break;
    }
    if (v === null) return null;
    if (v instanceof InvalidUtf8) {
      this.invalidText = true;
      return null;
    }
    if (Array.isArray(v)) return v.map((item) => this.value(item));
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex");
    return JSON.stringify(v, (_key, inner: unknown) => (typeof inner === "bigint" ? inner.toString() : inner));
  }
}

/** A Parquet string whose bytes are not valid UTF-8; hyparquet's own decoder would turn them into U+FFFD silently. */
class InvalidUtf8 {
  constructor(readonly bytes: Uint8Array) {}
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function stringFromBytes(bytes: Uint8Array | undefined): string | InvalidUtf8 | undefined {
  if (!bytes) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return new InvalidUtf8(bytes);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
