import { isUtf8 } from "node:buffer";
import type { ReadOptions } from "../record.js";
import { CsvColumns, type ColumnParts } from "./csv-columns.js";
import { CsvScanner } from "./csv-scanner.js";
import { firstLine, isBlankRecord } from "./csv.js";
import { missingTest } from "./fields.js";
import { LineIndex } from "./line-index.js";

/** The columns of a file being read in blocks, as the main thread's reader settled them at the first data row. */
export interface SegmentLayout {
  /** Every column of the file, in order. */
  names: string[];
  /** The columns kept (null: all). */
  kept: string[] | null;
  /** 1 for the fields (by position) read as numbers while they are scanned (CsvScanner.numberFields). */
  numbers: Uint8Array;
}

export type SegmentOptions = Pick<ReadOptions, "delimiter" | "trim" | "missing">;

/**
 * The rows of `bytes`, a part of a CSV file that starts at a record and
 * ends after a line break, scanned as readCsvBlocks scans them (the same
 * scanner, blank-line rule and line numbers, counted from the part's first
 * line). Null when the part holds anything but whole, good rows: bytes that
 * are not UTF-8, a syntax error, a wrong field count, or a quote left open
 * at its end (its start was then not a record's start after all). The
 * caller then reads the part itself, which reports any error exactly as a
 * plain read does; this function never has to.
 */
export function parseSegment(bytes: Buffer, read: SegmentOptions, layout: SegmentLayout): { parts: ColumnParts; dataRows: number } | null {
  if (!isUtf8(bytes)) return null;
  const lines = new LineIndex();
  lines.append(bytes);
  const columns = new CsvColumns(layout.names, layout.kept && new Set(layout.kept), missingTest(read.missing, read.trim), read.missing);
  // At most one row per line feed (and a last line without one).
  let feeds = 0;
  for (let k = bytes.indexOf(0x0a); k >= 0; k = bytes.indexOf(0x0a, k + 1)) feeds++;
  columns.reserve(feeds + 1);
  const width = layout.names.length;
  let prevEnd = 0;
  let dataRows = 0;
  let good = true;
  const scanner = new CsvScanner(read.delimiter, read.trim, (record, end) => {
    const start = prevEnd;
    prevEnd = end;
    if (!good || isBlankRecord(record, width)) return;
    dataRows++;
    if (record.count !== width) good = false;
    else columns.add(record, firstLine(lines, record, start, end));
  });
  scanner.resumeAt(0);
  scanner.numberFields(layout.numbers);
  if (scanner.last(bytes) !== null || !good) return null;
  return { parts: columns.parts(), dataRows };
}
