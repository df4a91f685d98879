import { isUtf8 } from "node:buffer";
import { DataError, type RawRecord, type RawValue, type ReadOptions } from "../record.js";
import type { BadRowBudget } from "./bad-rows.js";
import { textFileBytes } from "./byte-source.js";
import { missingMarkers, setField } from "./fields.js";
import { TruncatedGzipError } from "./file-errors.js";
import { lostNumberTexts, mayHaveLostDigits } from "./json-number-text.js";
import { columnOf, findJsonSyntaxError } from "./json-syntax.js";
import { firstInvalidUtf8 } from "./utf8.js";

/** A longer line is not a record but a file without line breaks (or not JSONL at all); stop before memory runs out. */
const MAX_LINE_BYTES = 64 << 20;

const LF = 0x0a;
const CR = 0x0d;

const EXAMPLE = 'each line must be one JSON object, e.g. {"price": 3.5, "click": 1}';

/**
 * Streams a JSON Lines file as records: one JSON object per line, blank
 * lines skipped. Values keep their JSON types; a string listed among the
 * missing markers becomes null; arrays (sequence features) are passed on as
 * arrays, which the encoder accepts; a number a double cannot hold as written
 * (beyond 2^53, or beyond the double range) is passed on as its text, as CSV
 * and Parquet give it, so an id keeps its digits and an overflow is reported
 * with the value written; a nested object, which no feature can
 * use, is passed on as its JSON text so that an unused column cannot make
 * every row bad.
 */
export async function* readJsonl(file: string, opts: ReadOptions, budget: BadRowBudget): AsyncGenerator<RawRecord, void, undefined> {
  const lines = new JsonLines(file, missingMarkers(opts.missing));
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNo = 0;
  let yielded = 0;

  /** `last`: the file's last line, with no line break after it. */
  const handle = (bytes: Buffer, last = false): RawRecord | null => {
    lineNo++;
    const parsed = lines.parse(bytes, lineNo, last);
    if (parsed === null) return null;
    if (parsed instanceof DataError) {
      budget.reject(parsed);
      return null;
    }
    // The check (the spec's JSON Schema) sees nested objects as they are;
    // only accepted records have them turned into text.
    if (!budget.accept(parsed, file)) return null;
    lines.flatten(parsed);
    return parsed;
  };

  const chunks = textFileBytes(file, "jsonl")[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (err) {
        // The text stops where the compressed data ran out: name that line.
        throw err instanceof TruncatedGzipError ? err.at(lineNo + 1) : err;
      }
      if (next.done) break;
      const chunk = next.value;
      let pos = 0;
      for (;;) {
        const nl = chunk.indexOf(LF, pos);
        if (nl < 0) {
          if (pos < chunk.length) {
            pending.push(chunk.subarray(pos));
            pendingBytes += chunk.length - pos;
            if (pendingBytes > MAX_LINE_BYTES) {
              throw new DataError(file, lineNo + 1, `line is longer than ${MAX_LINE_BYTES >> 20} MiB`, "is this really a JSON Lines file? each record must be on its own line");
            }
          }
          break;
        }
        let bytes = chunk.subarray(pos, nl);
        if (pending.length > 0) {
          pending.push(bytes);
          bytes = Buffer.concat(pending);
          pending = [];
          pendingBytes = 0;
        }
        pos = nl + 1;
        const record = handle(bytes);
        if (record) {
          yielded++;
          yield record;
        }
      }
    }
  } finally {
    // Closes the file when the reader is stopped early (a consumer that breaks off, an error).
    await chunks.return(undefined);
  }
  if (pending.length > 0) {
    const record = handle(Buffer.concat(pending), true);
    if (record) {
      yielded++;
      yield record;
    }
  }
  if (yielded === 0) throw budget.noRows(file, null, "the file is empty: no data rows");
}

class JsonLines {
  constructor(
    private readonly file: string,
    private readonly missing: Set<string>,
  ) {}

  /** A record, a bad row, or null for a blank line. `last`: the file's last line, not ended by a line break. */
  parse(raw: Buffer, line: number, last = false): RawRecord | DataError | null {
    let bytes = raw;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    if (isBlankLine(bytes)) return null;
    if (!isUtf8(bytes)) {
      const at = firstInvalidUtf8(bytes);
      const column = at < 0 ? 1 : columnOf(bytes.toString("utf8", 0, at), at);
      return new DataError(this.file, line, `bytes that are not valid UTF-8 at column ${column}`, "save the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 in.jsonl > out.jsonl`");
    }
    const text = bytes.toString("utf8");
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const problem = findJsonSyntaxError(text);
      if (last && problem !== null && endsEarly(text, problem)) {
        return new DataError(
          this.file,
          line,
          `the file ends in the middle of this record (invalid JSON at column ${columnOf(text, problem.offset)}: ${problem.reason})`,
          "the file looks truncated (cut off while it was written or copied); write or fetch it again",
        );
      }
      if (problem === null) return new DataError(this.file, line, `invalid JSON: ${(err as Error).message}`, EXAMPLE);
      return new DataError(this.file, line, `invalid JSON at column ${columnOf(text, problem.offset)}: ${problem.reason}`, EXAMPLE);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      const kind = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
      return new DataError(this.file, line, `the line holds ${kind}, not a JSON object`, EXAMPLE);
    }
    const fields = value as Record<string, RawValue>;
    this.lostDigits = false;
    for (const key in fields) fields[key] = this.field(fields[key]) as RawValue;
    if (this.lostDigits) keepNumberTexts(fields, text);
    return { line, fields };
  }

  /** Set by `field` when JSON.parse may have changed a number of the line (rare: only then is the line scanned again). */
  private lostDigits = false;

  private field(v: unknown): unknown {
    if (typeof v === "string") return this.missing.has(v.trim()) ? null : v;
    if (!Array.isArray(v)) {
      if (mayHaveLostDigits(v)) this.lostDigits = true;
      return v;
    }
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (typeof item === "string" && this.missing.has(item.trim())) v[i] = null;
      else if (mayHaveLostDigits(item)) this.lostDigits = true;
    }
    return v;
  }

  /** Nested objects, which no feature reads, become their JSON text, so an unused column cannot make a row bad. */
  flatten(record: RawRecord): void {
    const fields = record.fields as Record<string, unknown>;
    for (const key in fields) {
      const v = fields[key];
      if (v === null || typeof v !== "object") continue;
      if (!Array.isArray(v)) fields[key] = JSON.stringify(v);
      else for (let i = 0; i < v.length; i++) if (v[i] !== null && typeof v[i] === "object") v[i] = JSON.stringify(v[i]);
    }
  }
}

/** Puts back the literal text of the numbers JSON.parse may have changed. */
function keepNumberTexts(fields: Record<string, RawValue>, text: string): void {
  for (const [key, literal] of lostNumberTexts(text)) {
    if (typeof literal === "string") {
      setField(fields, key, literal);
    } else {
      const items = fields[key] as (string | number | boolean | null)[];
      for (const [index, item] of literal) items[index] = item;
    }
  }
}

/**
 * Whether a syntax problem is the text running out rather than a wrong
 * character: the line ends inside a value, a string or a literal (`tru`).
 */
function endsEarly(text: string, problem: { offset: number; reason: string }): boolean {
  if (problem.offset >= text.length - 1 || problem.reason.endsWith("is never closed")) return true;
  const rest = text.slice(problem.offset);
  return rest.length > 0 && ["true", "false", "null"].some((word) => word.startsWith(rest));
}

function isBlankLine(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  }
  return true;
}
