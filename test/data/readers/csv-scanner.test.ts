import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parse } from "csv-parse/sync";
import { CsvScanner, CsvSyntaxError } from "../../../src/data/readers/csv-scanner.js";

/** What a tokeniser makes of some bytes: its records (fields and end offset), then its error if any. */
interface Outcome {
  records: Array<{ values: string[]; end: number }>;
  error: { code: string; bytes: number; column: number } | null;
}

/** csv-parse configured as mtl's reader used it before the scanner replaced it: the reference. */
function reference(bytes: Buffer, delimiter: string, trim: boolean): Outcome {
  const records: Outcome["records"] = [];
  try {
    parse(bytes, {
      delimiter,
      trim,
      bom: true,
      record_delimiter: ["\r\n", "\n"],
      skip_empty_lines: true,
      relax_column_count: true,
      on_record: (record: string[], context: { bytes: number }) => {
        records.push({ values: record, end: context.bytes });
        return null;
      },
    });
    return { records, error: null };
  } catch (error) {
    const e = error as { code: string; bytes: number; column: number };
    return { records, error: { code: e.code, bytes: e.bytes, column: e.column } };
  }
}

/** The scanner, fed the bytes in chunks of the given sizes (cycled). */
function scanned(bytes: Buffer, delimiter: string, trim: boolean, chunks: number[]): Outcome {
  const records: Outcome["records"] = [];
  const scanner = new CsvScanner(delimiter, trim, (record, end) => records.push({ values: record.values(), end }));
  const outcome = (e: CsvSyntaxError | null): Outcome => ({ records, error: e && { code: e.code, bytes: e.bytes, column: e.column } });
  let at = 0;
  for (let k = 0; at < bytes.length; k++) {
    const size = chunks[k % chunks.length]!;
    const error = scanner.write(bytes.subarray(at, at + size));
    at += size;
    if (error) return outcome(error);
  }
  return outcome(scanner.end());
}

/** Pieces that exercise every rule: quotes, doubled quotes, blanks trim strips or keeps, both line ends, a lone CR, non-ASCII, NUL. */
const PIECES = ["a", "bc", "7", "-1.5", " ", "\t", "\f", "\v", ",", ";", "::", '"', '""', "\n", "\r\n", "\r", "é", "\u00a0", "\0"];

const file = fc.record({
  text: fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((p) => p.join("")),
  bom: fc.boolean(),
  delimiter: fc.constantFrom(",", ";", "\t", " ", "::"),
  trim: fc.boolean(),
  chunks: fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 4 }),
});

test("the scanner gives csv-parse's records and errors (codes and offsets) on tricky files, in any chunking", () => {
  fc.assert(
    fc.property(file, ({ text, bom, delimiter, trim, chunks }) => {
      const bytes = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, "utf8")]);
      assert.deepEqual(scanned(bytes, delimiter, trim, chunks), reference(bytes, delimiter, trim));
    }),
    { numRuns: 3000 },
  );
});

test("a multi-byte delimiter cut by a chunk's end after a closing quote and blanks waits for its rest (found by the property above)", () => {
  for (const text of ['""\f::', '"a" ::b\n', '"a"\t::"b"::\n']) {
    const bytes = Buffer.from(text, "utf8");
    for (const size of [1, 2, 3, 100]) assert.deepEqual(scanned(bytes, "::", true, [size]), reference(bytes, "::", true), `${JSON.stringify(text)} in chunks of ${size}`);
  }
});

test("well-formed quoted files with long fields read alike whole and in one-byte chunks", () => {
  const field = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ maxLength: 30 }).map((s) => `"${s.replaceAll('"', '""')}"`),
  );
  const rows = fc.array(
    fc.array(field, { minLength: 1, maxLength: 5 }).map((r) => r.join(",")),
    { minLength: 1, maxLength: 8 },
  );
  fc.assert(
    fc.property(rows, fc.boolean(), (lines, crlf) => {
      const bytes = Buffer.from(lines.join(crlf ? "\r\n" : "\n") + "\n", "utf8");
      const expected = reference(bytes, ",", false);
      assert.deepEqual(scanned(bytes, ",", false, [1]), expected);
      assert.deepEqual(scanned(bytes, ",", false, [1 << 16]), expected);
    }),
    { numRuns: 500 },
  );
});

test("a quoted field longer than many chunks is carried whole, in linear time", () => {
  const long = "x".repeat(3_000_000);
  const bytes = Buffer.from(`a,b\n1,"${long}"\n2,3\n`);
  const started = performance.now();
  const outcome = scanned(bytes, ",", false, [1 << 17]);
  assert.ok(performance.now() - started < 2000, "carrying a long record must not rescan it once per chunk");
  assert.equal(outcome.error, null);
  assert.deepEqual(
    outcome.records.map((r) => [r.values[0], r.values[1]!.length, r.end]),
    [
      ["a", 1, 4],
      ["1", long.length, bytes.length - 4],
      ["2", 1, bytes.length],
    ],
  );
});
