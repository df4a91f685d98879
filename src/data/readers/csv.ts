import { DataError, type RawRecord, type RawValue, type ReadOptions } from "../record.js";
import type { BadRowBudget } from "./bad-rows.js";
import { textFileBytes } from "./byte-source.js";
import { CsvColumns, type ColumnParts, type CsvBlock } from "./csv-columns.js";
import { CsvScanner, CsvSyntaxError, MAX_RECORD_BYTES, type CsvRecord } from "./csv-scanner.js";
import type { SegmentLayout } from "./csv-segment.js";
import { CsvSplit } from "./csv-split.js";
import { fieldsBuilder, missingTest, showDelimiter } from "./fields.js";
import { TruncatedGzipError } from "./file-errors.js";
import { LineIndex } from "./line-index.js";
import { Utf8Guard } from "./utf8.js";

const UTF8_HINT = "save the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`";

/**
 * Streams a CSV (or TSV, or any delimiter) file as records.
 *
 * CsvScanner does the tokenising; everything a user sees is decided here:
 * the header, field counts, missing values, line numbers and the wording of
 * errors. Records are collected as the scanner hands them out while one chunk
 * is scanned, and handed out before the next chunk is read, so at most one
 * chunk's records are ever held.
 *
 * Names come from the header, or from `opts.columns` for a headerless file.
 * Given both, the header line is skipped and `opts.columns` renames it (the
 * counts must match), so a command-line override can rename columns.
 */
export function readCsv(file: string, opts: ReadOptions, budget: BadRowBudget, consumer: CsvConsumer = {}): AsyncGenerator<RawRecord, void, undefined> {
  return scanCsv(file, opts, budget, consumer, false) as AsyncGenerator<RawRecord, void, undefined>;
}

/**
 * The same read as readCsv, with the same checks, errors and bad-row
 * handling, handing out the rows between bad rows as blocks of columns
 * (CsvColumns) instead of records: the consumer's columns only, as byte
 * ranges, with no object or string made per row. A block is valid until the
 * next one is asked for. The budget must have no record check.
 */
export function readCsvBlocks(file: string, opts: ReadOptions, budget: BadRowBudget, consumer: CsvConsumer = {}): AsyncGenerator<CsvBlock, void, undefined> {
  return scanCsv(file, opts, budget, consumer, true) as AsyncGenerator<CsvBlock, void, undefined>;
}

async function* scanCsv(file: string, opts: ReadOptions, budget: BadRowBudget, consumer: CsvConsumer, blocks: boolean): AsyncGenerator<RawRecord | CsvBlock, void, undefined> {
  checkOptions(file, opts);
  const lines = new LineIndex();
  const utf8 = new Utf8Guard();
  const rows = new CsvRows(file, opts, lines, utf8, consumer, (mask) => scanner.numberFields(mask), blocks);
  const scanner = new CsvScanner(opts.delimiter, opts.trim, (record, end) => rows.onRecord(record, end));
  // A large plain file read in blocks is scanned on two threads (csv-split.ts).
  const split = blocks ? await CsvSplit.open(file, opts) : null;

  let offset = 0;
  let yielded = 0;
  try {
    for await (const piece of split ? split.pieces(() => rows.layout) : textFileBytes(file, "csv")) {
      let err: CsvSyntaxError | null = null;
      if (Buffer.isBuffer(piece)) {
        lines.append(piece);
        utf8.feed(piece, offset);
        offset += piece.length;
        err = scanner.write(piece);
      } else {
        const result = await piece.result;
        // The worker's rows stand only if its part starts where a record does: where the main thread's last record ended.
        if (result.parts === null || scanner.hasPending() || offset !== piece.start) continue;
        piece.taken = true;
        rows.adopt(result.parts, lines.feedsBefore(piece.start), piece.end, result.dataRows);
        lines.append(result.bytes);
        offset = piece.end;
        scanner.resumeAt(piece.end);
      }
      for (const item of rows.take(budget, file)) {
        yielded += "line" in item ? 1 : item.to - item.from;
        yield item;
      }
      if (err) throw rows.explain(err);
      lines.release(rows.releasable());
    }
  } catch (err) {
    // The text stops where the compressed data ran out: name that line.
    throw err instanceof TruncatedGzipError ? err.at(lines.lineAt(offset)) : err;
  } finally {
    await split?.close();
  }
  utf8.finish();
  // The last record is handed out only now; if no line break ends the file, that record was cut off.
  const last = offset > 0 ? lines.byteAt(offset - 1) : -1;
  rows.unterminated = last !== -1 && last !== 0x0a && last !== 0x0d;
  const err = scanner.end();
  for (const item of rows.take(budget, file)) {
    yielded += "line" in item ? 1 : item.to - item.from;
    yield item;
  }
  if (err) throw rows.explain(err);
  if (yielded === 0) throw rows.noRows(budget);
}

/** What the consumer of the records reads (ReadLimits.numbers and .columns). */
export interface CsvConsumer {
  numbers?: ReadonlySet<string> | undefined;
  columns?: ReadonlySet<string> | undefined;
}

function checkOptions(file: string, opts: ReadOptions): void {
  if (opts.delimiter.length === 0) {
    throw new DataError(file, null, "the CSV delimiter is empty", "set a delimiter such as ',' or '\\t'");
  }
  if (!opts.header && (opts.columns === null || opts.columns.length === 0)) {
    throw new DataError(
      file,
      null,
      "the file has no header and no column names were given",
      "name the columns with --columns a,b,... or in the spec's data section (columns: [a, b, ...]); if the file's first line is its header, leave out --no-header (or set header: true)",
    );
  }
  if (opts.columns) checkNames(file, null, opts.columns, "the spec's column list");
}

/** Rows per block handed out from a worker's part: about as many as a chunk's scan gives, so the encoder's buffers stay small. */
const ADOPTED_BLOCK_ROWS = 1024;

/** Header handling, field checks and conversion for the records of one file. */
class CsvRows {
  private readonly isMissing: (value: string) => boolean;
  private names: string[] | null;
  private build: ((record: CsvRecord) => Record<string, RawValue>) | null = null;
  private headerLine: number | null = null;
  private dataRows = 0;
  private prevEnd = 0;
  private queue: Array<RawRecord | DataError | CsvBlock> = [];
  /** In block mode: the kept fields of the rows of this scan, and where the rows not yet queued as a block start. */
  private columns: CsvColumns | null = null;
  private blockFrom = 0;
  /** A problem that ends the read (a bad header); records queued before it are still handed out. */
  private fatal: DataError | null = null;
  /**
   * A header read as one column that contains another common delimiter: the
   * delimiter is probably wrong, which the first data row confirms or clears.
   */
  private suspect: { delimiter: string; columns: number; header: string } | null = null;
  /** Set once the input has ended without a line break: a record parsed now is the file's cut-off last line. */
  unterminated = false;
  /** In block mode, once the first data row has settled the columns: what a worker thread needs to scan a part of the file alike. */
  layout: SegmentLayout | null = null;
  private kept: ReadonlySet<string> | null = null;

  constructor(
    private readonly file: string,
    private readonly opts: ReadOptions,
    private readonly lines: LineIndex,
    private readonly utf8: Utf8Guard,
    private readonly consumer: CsvConsumer,
    /** Tells the scanner which fields hold numbers, once the columns are known. */
    private readonly numberFields: (mask: Uint8Array) => void,
    /** Rows go into CsvColumns blocks instead of records. */
    private readonly blocks: boolean,
  ) {
    this.isMissing = missingTest(opts.missing, opts.trim);
    this.names = opts.header ? null : opts.columns;
  }

  /** Called by the scanner for every record; never throws into it, so the records before a bad header are still handed out. */
  onRecord(record: CsvRecord, end: number): void {
    if (this.fatal) return;
    try {
      this.record(record, end);
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      this.fatal = err;
    }
  }

  private record(record: CsvRecord, end: number): void {
    const start = this.prevEnd;
    this.prevEnd = end;
    const line = firstLine(this.lines, record, start, end);
    const bad = this.utf8.firstBadIn(start, end);
    if (bad >= 0) {
      const err = new DataError(this.file, this.lines.lineAt(bad), "this line has bytes that are not valid UTF-8", UTF8_HINT);
      // A header with bad bytes leaves no trustworthy column names, so it is never skipped.
      if (this.names === null) throw err;
      this.dataRows++;
      this.queueBad(err);
      return;
    }
    if (this.names === null) {
      this.names = this.header(record.values(), line);
      return;
    }
    const names = this.names;
    if (isBlankRecord(record, names.length)) return;
    if (this.suspect) this.checkDelimiter(record.values());
    this.dataRows++;
    if (record.count !== names.length) {
      this.queueBad(this.fieldCountError(record.values(), line, names.length));
      return;
    }
    if (this.build === null) {
      const { numbers, columns } = this.consumer;
      const kept = columns && [...columns].every((c) => names.includes(c)) ? columns : null;
      this.build = fieldsBuilder(names, this.isMissing, { numbers: numbers ?? new Set(), kept, missing: this.opts.missing });
      const mask = Uint8Array.from(names, (name) => (numbers?.has(name) && (kept === null || kept.has(name)) ? 1 : 0));
      if (this.blocks) {
        this.columns = new CsvColumns(names, kept, this.isMissing, this.opts.missing);
        this.kept = kept;
        this.layout = { names, kept: kept && [...kept], numbers: mask };
      }
      this.numberFields(mask);
    }
    if (this.columns) this.columns.add(record, line);
    else this.queue.push({ line, fields: this.build(record) });
  }

  /** Queues a bad row, after the block of the good rows before it. */
  private queueBad(err: DataError): void {
    this.closeBlock();
    this.queue.push(err);
  }

  private closeBlock(): void {
    const columns = this.columns;
    if (columns === null || columns.rows === this.blockFrom) return;
    this.queue.push({ columns, from: this.blockFrom, to: columns.rows });
    this.blockFrom = columns.rows;
  }

  /**
   * Queues the rows a worker thread scanned (csv-segment.ts) from the
   * record that starts after `feeds` line feeds up to offset `end`, as
   * blocks after those before them.
   */
  adopt(parts: ColumnParts, feeds: number, end: number, dataRows: number): void {
    this.closeBlock();
    const columns = new CsvColumns(this.names!, this.kept, this.isMissing, this.opts.missing);
    columns.adopt(parts, feeds);
    for (let from = 0; from < parts.rows; from += ADOPTED_BLOCK_ROWS) this.queue.push({ columns, from, to: Math.min(from + ADOPTED_BLOCK_ROWS, parts.rows) });
    this.prevEnd = end;
    this.dataRows += dataRows;
  }

  /** The queued records, with bad rows skipped or thrown as the budget decides, then any fatal error. */
  *take(budget: BadRowBudget, file: string): Generator<RawRecord | CsvBlock, void, undefined> {
    this.closeBlock();
    const queue = this.queue;
    this.queue = [];
    for (const item of queue) {
      if (item instanceof DataError) budget.reject(item);
      else if (!("line" in item)) yield item;
      else if (budget.accept(item, file)) yield item;
    }
    // Every block of this scan was consumed: its storage takes the next scan's rows.
    this.columns?.reset();
    this.blockFrom = 0;
    if (this.fatal) throw this.fatal;
  }

  /** Data before this offset is no longer needed for line numbers. */
  releasable(): number {
    return this.prevEnd;
  }

  /** Turns a scanner error into one that names the line and says how to fix it. */
  explain(err: CsvSyntaxError): DataError {
    const line = this.lines.lineAt(this.lines.skipLineBreaks(Math.max(err.bytes, this.prevEnd)));
    const field = this.names ? this.names[err.column] : undefined;
    const which = `field ${err.column + 1}`;
    switch (err.code) {
      case "INVALID_OPENING_QUOTE":
        return new DataError(
          this.file,
          line,
          `${which} has a quote character inside an unquoted value`,
          'quote the whole field and double the quotes inside it, e.g. "5"" screen"',
          field,
        );
      case "CSV_INVALID_CLOSING_QUOTE":
      case "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE":
        return new DataError(
          this.file,
          line,
          `${which} continues after its closing quote`,
          `inside a quoted field write a quote as two quotes (""); after the closing quote only the delimiter (${showDelimiter(this.opts.delimiter)}) or the end of the line may follow`,
          field,
        );
      case "CSV_QUOTE_NOT_CLOSED":
        return new DataError(
          this.file,
          line,
          "a quoted field is never closed: the file ends inside quotes",
          "add the missing closing quote to the field that starts here; if the file was cut off while it was written or copied, write or fetch it again",
          field,
        );
      case "CSV_MAX_RECORD_SIZE":
        return new DataError(
          this.file,
          line,
          `a record starting here is longer than ${MAX_RECORD_BYTES >> 20} MiB`,
          "a quote opened here is probably never closed; check the quotes on this line",
        );
    }
  }

  noRows(budget: BadRowBudget): DataError {
    if (this.headerLine !== null && this.dataRows === 0) {
      return budget.noRows(this.file, this.headerLine, "the file has a header but no data rows");
    }
    return budget.noRows(this.file, null, "the file is empty: no data rows");
  }

  private header(values: string[], line: number): string[] {
    this.headerLine = line;
    checkNames(this.file, line, values, "the header");
    const columns = this.opts.columns;
    if (columns === null) {
      if (values.length === 1) this.suspect = otherDelimiter(values[0]!, this.opts.delimiter);
      return values;
    }
    if (columns.length !== values.length) {
      throw new DataError(
        this.file,
        line,
        `the header has ${values.length} columns but the spec lists ${columns.length} column names`,
        "make the spec's column list match the file, or drop it to use the header's names",
      );
    }
    return columns;
  }

  /**
   * A one-column header and a first data row that both split into the same
   * number of fields on another common delimiter: the file uses that one.
   * Reading on would give one column named after the whole header line, so
   * every column the spec reads would seem to be missing.
   */
  private checkDelimiter(values: string[]): void {
    const suspect = this.suspect!;
    this.suspect = null;
    if (values.length !== 1 || values[0]!.split(suspect.delimiter).length !== suspect.columns) return;
    const set = suspect.delimiter === "\t" ? "--delimiter '\\t' on the command line (or name the file .tsv)" : `--delimiter '${suspect.delimiter}' on the command line`;
    throw new DataError(
      this.file,
      this.headerLine,
      `the header is read as one column, '${shortHeader(suspect)}', because the file separates its fields with ${showDelimiter(suspect.delimiter)} but the delimiter is ${showDelimiter(this.opts.delimiter)}`,
      `set the delimiter to ${showDelimiter(suspect.delimiter)}: ${set}, or format: csv(delimiter: ${JSON.stringify(suspect.delimiter)}) in the spec's data section`,
    );
  }

  private fieldCountError(values: string[], line: number, expected: number): DataError {
    const found = values.length;
    if (this.unterminated && found < expected) {
      return new DataError(
        this.file,
        line,
        `the file ends in the middle of this row: expected ${expected} fields, found ${found}`,
        "the file looks truncated (cut off while it was written or copied); write or fetch it again",
      );
    }
    const delimiter = this.opts.delimiter;
    let hint = `the delimiter is ${showDelimiter(delimiter)}; a field that contains it must be in double quotes`;
    if (found === 1) {
      const other = COMMON_DELIMITERS.find((d) => d !== delimiter && values[0]!.includes(d));
      if (other) hint = `the line contains ${showDelimiter(other)} but the delimiter is ${showDelimiter(delimiter)}: set the delimiter to ${showDelimiter(other)}`;
    } else if (found === expected + 1 && values[found - 1] === "") {
      hint = "the line ends with an extra delimiter";
    }
    return new DataError(this.file, line, `expected ${expected} fields, found ${found} — check the delimiter`, hint);
  }
}

/** A record that is a blank line (or blanks alone, under trim) in a file of more than one column: skipped. */
export function isBlankRecord(record: CsvRecord, columns: number): boolean {
  return record.count === 1 && record.text(0).trim() === "" && columns !== 1;
}

/**
 * A record's first line: the line of its last byte, less the line breaks
 * inside its quoted fields. The fields are only searched when the record's
 * bytes span several lines at all, which keeps the common case cheap.
 */
export function firstLine(lines: LineIndex, record: CsvRecord, start: number, end: number): number {
  const feedsBeforeStart = lines.feedsBefore(start);
  const last = lines.lastLineBefore(end);
  if (feedsBeforeStart + 1 === last) return last;
  return last - record.innerLineFeeds();
}

const COMMON_DELIMITERS = [",", "\t", ";", "|"];

/** The common delimiter (other than the one in use) that splits a one-column header into named columns. */
function otherDelimiter(header: string, delimiter: string): { delimiter: string; columns: number; header: string } | null {
  for (const d of COMMON_DELIMITERS) {
    if (d === delimiter || !header.includes(d)) continue;
    const names = header.split(d);
    if (names.length >= 2 && names.every((n) => n.trim() !== "")) return { delimiter: d, columns: names.length, header };
  }
  return null;
}

/** The first few names of a header that was read as one column, as it appears in the file. */
function shortHeader(suspect: { delimiter: string; header: string }): string {
  const names = suspect.header.split(suspect.delimiter);
  const shown = names.slice(0, 3).join(suspect.delimiter === "\t" ? "\\t" : suspect.delimiter);
  return names.length > 3 ? `${shown}...` : shown;
}

/** Column names must be non-empty and distinct, or fields would silently go missing or overwrite each other. */
function checkNames(file: string, line: number | null, names: readonly string[], where: string): void {
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    if (name.trim() === "") {
      throw new DataError(file, line, `column ${i + 1} of ${where} has no name`, "give every column a name");
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw new DataError(
        file,
        line,
        `column name '${name}' appears twice in ${where} (columns ${first + 1} and ${i + 1})`,
        "rename one of the two columns",
        name,
      );
    }
    seen.set(name, i);
  });
}
