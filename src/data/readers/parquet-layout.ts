import type { AsyncBuffer, ColumnMetaData, FileMetaData, SchemaTree } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { CompactError, readCompactStruct, type ThriftStruct, type ThriftValue } from "./thrift-compact.js";

/**
 * Checks a Parquet file's layout against the file before hyparquet decodes
 * it. hyparquet trusts the sizes, offsets and counts it reads: one changed
 * byte in a page header's value count made it fill an array of billions of
 * entries for minutes, and damaged metadata surfaced as "Cannot read
 * properties of undefined". Here every number that sizes a read or a loop is
 * checked against the bytes that hold it, so damage is refused in
 * milliseconds, in words that say where it is.
 */

/** Damage found in the file's layout; `where` locates it (row group, column, page) when known. */
export class ParquetDamage extends Error {
  constructor(
    readonly where: string | null,
    readonly what: string,
  ) {
    super(where === null ? what : `${where}: ${what}`);
  }
}

/** Codecs hyparquet decodes (with hyparquet-compressors). */
const CODECS = new Set(["UNCOMPRESSED", "SNAPPY", "GZIP", "BROTLI", "ZSTD", "LZ4", "LZ4_RAW"]);

const PAGE_DATA = 0;
const PAGE_INDEX = 1;
const PAGE_DICTIONARY = 2;
const PAGE_DATA_V2 = 3;

/** A header is read in a window this size, grown when the header (e.g. its statistics) is larger. */
const HEADER_WINDOW = 1 << 12;

/** One column chunk as the metadata describes it, with its place in the file checked. */
export interface ChunkLayout {
  column: string;
  where: string;
  start: number;
  end: number;
  /** Values the chunk's data pages must add up to (nulls included). */
  values: number;
  /** Top-level and not repeated: one value per row. */
  flat: boolean;
  uncompressed: number;
  codec: string;
  /** Definition and repetition levels' maxima (hyparquet's getMaxDefinitionLevel and getMaxRepetitionLevel). */
  maxDefinition: number;
  maxRepetition: number;
  boolean: boolean;
}

/** The file's row groups, each a list of its column chunks, checked against the file and each other. */
export function checkMetadata(metadata: FileMetaData, schema: SchemaTree, fileSize: number): ChunkLayout[][] {
  const dataEnd = fileSize - 8 - metadata.metadata_length;
  const leaves = leafColumns(schema);
  const totalRows = count(metadata.num_rows, null, "the number of rows");
  let rows = 0;
  const groups = metadata.row_groups.map((group, g) => {
    const where = `row group ${g + 1} of ${metadata.row_groups.length}`;
    const groupRows = count(group.num_rows, where, "the number of rows");
    rows += groupRows;
    if (!Array.isArray(group.columns) || group.columns.length !== leaves.length) {
      throw new ParquetDamage(where, `it has ${group.columns?.length ?? 0} column chunks but the schema has ${leaves.length} columns`);
    }
    return group.columns.map((chunk, c) => {
      const [leaf, ancestors] = leaves[c]!;
      const at = `${where}, column '${leaf.path.join(".")}'`;
      const meta = chunk.meta_data;
      if (chunk.file_path !== undefined) throw new ParquetDamage(at, "its data is in another file, which mtl does not read");
      if (meta === undefined || !Array.isArray(meta.path_in_schema)) throw new ParquetDamage(at, "its column metadata is missing");
      if (meta.path_in_schema.join(".") !== leaf.path.join(".") || meta.type !== leaf.element.type) {
        throw new ParquetDamage(at, "its column metadata does not match the schema");
      }
      return chunkLayout(meta, leaf, ancestors, at, groupRows, dataEnd);
    });
  });
  if (rows !== totalRows) throw new ParquetDamage(null, `the footer says ${totalRows} rows but its row groups hold ${rows}`);
  return groups;
}

function chunkLayout(meta: ColumnMetaData, leaf: SchemaTree, ancestors: SchemaTree[], where: string, groupRows: number, dataEnd: number): ChunkLayout {
  if (!CODECS.has(meta.codec)) {
    throw new ParquetDamage(where, meta.codec ? `it is compressed with ${meta.codec}, which mtl cannot read` : "its compression codec is unknown");
  }
  const start = count(meta.dictionary_page_offset || meta.data_page_offset, where, "the data offset");
  const size = count(meta.total_compressed_size, where, "the data size");
  if (start < 4 || start + size > dataEnd) {
    throw new ParquetDamage(where, `its data (bytes ${start}-${start + size}) lies outside the file's data (bytes 4-${dataEnd})`);
  }
  const values = count(meta.num_values, where, "the number of values");
  const flat = leaf.path.length === 1 && leaf.element.repetition_type !== "REPEATED";
  if (flat && values !== groupRows) throw new ParquetDamage(where, `it holds ${values} values but the row group has ${groupRows} rows`);
  const uncompressed = count(meta.total_uncompressed_size, where, "the uncompressed size");
  // The root is neither optional nor repeated for these counts.
  const below = [...ancestors.slice(1), leaf];
  return {
    column: leaf.path.join("."),
    where,
    start,
    end: start + size,
    values,
    flat,
    uncompressed,
    codec: meta.codec,
    maxDefinition: below.filter((e) => e.element.repetition_type !== "REQUIRED").length,
    maxRepetition: below.filter((e) => e.element.repetition_type === "REPEATED").length,
    boolean: meta.type === "BOOLEAN",
  };
}

/** The schema's leaves (columns), each with the elements above it from the root down. */
function leafColumns(tree: SchemaTree, ancestors: SchemaTree[] = []): [SchemaTree, SchemaTree[]][] {
  if (tree.children.length === 0) return [[tree, ancestors]];
  return tree.children.flatMap((child) => leafColumns(child, [...ancestors, tree]));
}

/** A count or offset from the metadata as a safe, non-negative number. */
function count(value: bigint | number | undefined, where: string | null, what: string): number {
  if (value === undefined) throw new ParquetDamage(where, `${what} is missing`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new ParquetDamage(where, `${what} is out of range (${String(value)})`);
  return n;
}

/**
 * Walks the page headers of one column chunk (reading only the headers):
 * each page must lie inside the chunk, and the data pages' value counts must
 * add up to the chunk's. These counts size hyparquet's arrays and loops.
 */
export async function checkChunkPages(file: AsyncBuffer, chunk: ChunkLayout): Promise<void> {
  let offset = chunk.start;
  let values = 0;
  let dictionaries = 0;
  // Where hyparquet stops: a flat column at its last value, any other at the chunk's end.
  while (offset < chunk.end - 1 && (!chunk.flat || values < chunk.values)) {
    const at = `${chunk.where}, page at byte ${offset}`;
    const { header, end } = await readPageHeader(file, offset, chunk.end, at);
    const type = int(header, 1, at, "page type");
    const uncompressed = int(header, 2, at, "uncompressed size");
    const compressed = int(header, 3, at, "compressed size");
    if (compressed > chunk.end - end) throw new ParquetDamage(at, `its ${compressed} bytes run past the end of the column chunk (byte ${chunk.end})`);
    if (uncompressed > chunk.uncompressed) throw new ParquetDamage(at, `its uncompressed size ${uncompressed} exceeds the column's (${chunk.uncompressed})`);
    if (chunk.codec === "UNCOMPRESSED" && uncompressed !== compressed) throw new ParquetDamage(at, `its sizes differ (${compressed} and ${uncompressed}) but it is not compressed`);
    const left = chunk.values - values;
    switch (type) {
      case PAGE_DICTIONARY: {
        const dictionary = struct(header, 7, at, "dictionary page header");
        const entries = int(dictionary, 1, at, "dictionary size");
        if (values > 0 || ++dictionaries > 1) throw new ParquetDamage(at, "a dictionary page comes after the column's first page");
        // Each plain-encoded dictionary entry takes at least one byte.
        if (entries > uncompressed) throw new ParquetDamage(at, `its ${entries} dictionary entries cannot fit in ${uncompressed} bytes`);
        break;
      }
      case PAGE_DATA: {
        const page = struct(header, 5, at, "data page header");
        const n = pageValues(int(page, 1, at, "number of values"), left, at);
        const encoding = encodingOf(page, 2, at);
        if (chunk.maxRepetition > 0 || chunk.maxDefinition > 0 || RUN_ENCODINGS.has(encoding)) {
          const data = decompress(chunk, await pageBytes(file, end, compressed), uncompressed, at);
          let pos = 0;
          if (chunk.maxRepetition > 0) pos = checkPrefixedRuns(data, pos, bitWidth(chunk.maxRepetition), n, at);
          if (chunk.maxDefinition > 0) pos = checkPrefixedRuns(data, pos, bitWidth(chunk.maxDefinition), n, at);
          checkValueRuns(data, pos, encoding, chunk, n, at);
        }
        values += n;
        break;
      }
      case PAGE_DATA_V2: {
        const page = struct(header, 8, at, "data page header");
        const n = pageValues(int(page, 1, at, "number of values"), left, at);
        const nulls = int(page, 2, at, "number of nulls");
        const rows = int(page, 3, at, "number of rows");
        const levels = int(page, 5, at, "definition levels size") + int(page, 6, at, "repetition levels size");
        if (nulls > n || rows > n) throw new ParquetDamage(at, `it has ${n} values but says ${nulls} are null in ${rows} rows`);
        if (chunk.flat && rows !== n) throw new ParquetDamage(at, `it has ${n} values in ${rows} rows, but the column has one value a row`);
        if (levels > compressed || levels > uncompressed) throw new ParquetDamage(at, `its levels (${levels} bytes) do not fit in the page`);
        const encoding = encodingOf(page, 4, at);
        if (chunk.maxRepetition > 0 || chunk.maxDefinition > 0 || RUN_ENCODINGS.has(encoding)) {
          const raw = await pageBytes(file, end, compressed);
          if (chunk.maxRepetition > 0) checkRuns(raw, 0, bitWidth(chunk.maxRepetition), n, at);
          if (chunk.maxDefinition > 0) checkRuns(raw, int(page, 6, at, "repetition levels size"), bitWidth(chunk.maxDefinition), n, at);
          if (RUN_ENCODINGS.has(encoding)) {
            const stored = raw.subarray(levels);
            const valueBytes = uncompressed - levels;
            const data = field(page, 7) !== false && valueBytes > 0 ? decompress(chunk, stored, valueBytes, at) : stored;
            checkValueRuns(data, 0, encoding, chunk, n, at);
          }
        }
        values += n;
        break;
      }
      case PAGE_INDEX:
        break;
      default:
        throw new ParquetDamage(at, `its page type ${type} is not a Parquet page type`);
    }
    offset = end + compressed;
  }
  if (values !== chunk.values) throw new ParquetDamage(chunk.where, `its pages hold ${values} values but its metadata says ${chunk.values}`);
}

/** Parquet's encodings are numbered 0-10 (PLAIN to ALP); hyparquet names the others "undefined". */
const ENCODINGS = 11;

function encodingOf(page: ThriftStruct, id: number, at: string): number {
  const encoding = int(page, id, at, "encoding");
  if (encoding >= ENCODINGS) throw new ParquetDamage(at, `its encoding ${encoding} is not a Parquet encoding`);
  return encoding;
}

/** Encodings whose values are runs of the RLE/bit-packed hybrid: PLAIN_DICTIONARY, RLE, RLE_DICTIONARY. */
const RUN_ENCODINGS = new Set([2, 3, 8]);

async function pageBytes(file: AsyncBuffer, start: number, size: number): Promise<Uint8Array> {
  return new Uint8Array(await file.slice(start, start + size));
}

function decompress(chunk: ChunkLayout, bytes: Uint8Array, size: number, at: string): Uint8Array {
  if (chunk.codec === "UNCOMPRESSED") return bytes;
  const codec = chunk.codec as keyof typeof compressors;
  let out: Uint8Array | undefined;
  try {
    out = compressors[codec]?.(bytes, size);
  } catch {
    out = undefined;
  }
  if (out?.length !== size) throw new ParquetDamage(at, "its compressed data is damaged");
  return out;
}

/**
 * The values of a dictionary- or RLE-encoded page: a bit width and runs
 * (hyparquet skips the runs when the width is 0), or for booleans
 * length-prefixed runs of width 1.
 */
function checkValueRuns(data: Uint8Array, pos: number, encoding: number, chunk: ChunkLayout, n: number, at: string): void {
  if (!RUN_ENCODINGS.has(encoding)) return;
  if (chunk.boolean) {
    checkPrefixedRuns(data, pos, 1, n, at);
  } else if (pos < data.length && data[pos]! > 0) {
    checkRuns(data, pos + 1, data[pos]!, n, at);
  }
}

/** Runs after a 4-byte length (levels in a version 1 page); returns where they end. */
function checkPrefixedRuns(data: Uint8Array, pos: number, width: number, n: number, at: string): number {
  if (pos + 4 > data.length) return data.length;
  const length = new DataView(data.buffer, data.byteOffset + pos, 4).getUint32(0, true);
  checkRuns(data, pos + 4, width, n, at);
  return pos + 4 + length;
}

/**
 * Walks runs of the RLE/bit-packed hybrid as hyparquet decodes them (it
 * reads runs until it has the page's values, whatever the region's length)
 * and refuses a repeated run longer than the page: hyparquet writes every
 * value of a run, so a damaged run length of two billion meant two billion
 * writes. Running out of bytes is left to hyparquet, which fails on it.
 */
function checkRuns(data: Uint8Array, start: number, width: number, n: number, at: string): void {
  let pos = start;
  let seen = 0;
  while (seen < n && pos < data.length) {
    // hyparquet's readVarInt: 32-bit arithmetic, as many bytes as have their high bit set.
    let header = 0;
    let shift = 0;
    for (;;) {
      if (pos >= data.length) return;
      const byte = data[pos++]!;
      header |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
    }
    if (header & 1) {
      const groups = header >>> 1;
      seen += groups * 8;
      pos += groups * width;
    } else {
      const count = header >>> 1;
      if (count > n) throw new ParquetDamage(at, `a run of ${count} repeated values is longer than the page's ${n} values`);
      seen += count;
      pos += (width + 7) >> 3;
    }
  }
}

function bitWidth(value: number): number {
  return 32 - Math.clz32(value);
}

function pageValues(n: number, left: number, at: string): number {
  if (n > left) throw new ParquetDamage(at, `it says ${n} values but only ${left} of the column's values are left`);
  return n;
}

async function readPageHeader(file: AsyncBuffer, offset: number, limit: number, at: string): Promise<{ header: ThriftStruct; end: number }> {
  for (let window = HEADER_WINDOW; ; window *= 4) {
    const end = Math.min(limit, offset + window);
    const bytes = new Uint8Array(await file.slice(offset, end));
    try {
      const { value, end: used } = readCompactStruct(bytes);
      return { header: value, end: offset + used };
    } catch (err) {
      if (!(err instanceof CompactError)) throw err;
      // Only running out of the window may mean a larger header; anything else, or the chunk's end, is damage.
      if (!err.truncated || end === limit) throw new ParquetDamage(at, `its header is damaged (${err.message}, at byte ${offset + err.offset})`);
    }
  }
}

function field(s: ThriftStruct, id: number): ThriftValue | undefined {
  return s.get(id);
}

function int(s: ThriftStruct, id: number, at: string, what: string): number {
  const value = field(s, id);
  if (typeof value !== "number" || value < 0) throw new ParquetDamage(at, `its header's ${what} is ${value === undefined ? "missing" : `out of range (${String(value)})`}`);
  return value;
}

function struct(s: ThriftStruct, id: number, at: string, what: string): ThriftStruct {
  const value = field(s, id);
  if (!(value instanceof Map)) throw new ParquetDamage(at, `its ${what} is missing`);
  return value;
}
