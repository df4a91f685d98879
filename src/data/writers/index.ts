import { csvHeader, csvLine, jsonlKeys, jsonlLine, type OutputValue } from "./line-format.js";
import { fileSink, StreamSink, type TextSink } from "./sinks.js";

export { formatNumber } from "./number-format.js";
export { writeParquet, type ParquetColumn, type ParquetColumnType, type WriteParquetOptions } from "./parquet.js";
export type { OutputValue } from "./line-format.js";

/** Writes records one at a time; await what `write` returns (when it returns a promise) to respect backpressure. */
export interface RecordWriter {
  /** Keys outside `columns` are ignored; a column without a key is written as null. */
  write(values: Record<string, OutputValue>): Promise<void> | void;
  /** Flushes and, for a file, moves the finished file into place. */
  close(): Promise<void>;
  /** Drops everything written; a file target is left as it was before. */
  abort(): Promise<void>;
}

/** Text is handed to the sink in pieces of about this many characters, not per row. */
const FLUSH_CHARS = 1 << 16;

/**
 * A CSV or JSONL writer to a file (atomically: see fileSink) or to
 * standard output ("-"). CSV gets a header line; quoting follows RFC 4180;
 * numbers are printed so that float32 values read back exactly (see
 * formatNumber).
 */
export function createRecordWriter(target: string | "-", format: "csv" | "jsonl", columns: string[]): RecordWriter {
  if (columns.length === 0) throw new Error("createRecordWriter needs at least one column");
  if (new Set(columns).size !== columns.length) throw new Error(`createRecordWriter: duplicate column names in ${JSON.stringify(columns)}`);
  const sink: TextSink = target === "-" ? new StreamSink(process.stdout) : fileSink(target);
  const cols = [...columns];
  if (format === "csv") {
    return new BufferedWriter(sink, (values) => csvLine(cols, values), csvHeader(cols));
  }
  const keys = jsonlKeys(cols);
  return new BufferedWriter(sink, (values) => jsonlLine(cols, keys, values), "");
}

class BufferedWriter implements RecordWriter {
  private parts: string[] = [];
  private size = 0;
  private finished = false;

  constructor(
    private readonly sink: TextSink,
    private readonly line: (values: Record<string, OutputValue>) => string,
    header: string,
  ) {
    if (header) this.append(header);
  }

  write(values: Record<string, OutputValue>): Promise<void> | void {
    if (this.finished) throw new Error("write after close or abort");
    this.append(this.line(values));
    if (this.size >= FLUSH_CHARS) return this.flush();
  }

  async close(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      if (this.size > 0) await this.flush();
    } catch (err) {
      await this.sink.abort();
      throw err;
    }
    await this.sink.close();
  }

  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.parts = [];
    this.size = 0;
    await this.sink.abort();
  }

  private append(text: string): void {
    this.parts.push(text);
    this.size += text.length;
  }

  private flush(): Promise<void> {
    const text = this.parts.join("");
    this.parts = [];
    this.size = 0;
    return this.sink.write(text);
  }
}
