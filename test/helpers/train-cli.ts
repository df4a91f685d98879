import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { assertNoCrash, spawnCli, type CliResult } from "./cli.js";

/** runCli without blocking, so tests in a `describe({ concurrency })` can overlap their CLI runs. */
export function runCliAsync(cli: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return spawnCli(cli, args, options).done;
}

/** The columns `mtl generate esmm` writes, in order (documented in `mtl generate --help`). */
export const ESMM_COLUMNS = ["user_id", "item_id", "category", "price", "user_age", "click", "purchase", "amount", "true_ctr", "true_cvr", "true_ctcvr", "true_amount", "buy_if_clicked"] as const;

/** The tasks of specs/esmm.mtl, in declaration order. */
export const ESMM_TASKS = ["ctr", "cvr", "ctcvr"] as const;

/** Exit 0, no crash; the message carries both streams so a failure explains itself. */
export function assertOk(result: CliResult, what: string): void {
  assertNoCrash(result, what);
  assert.equal(result.status, 0, `${what}: expected exit 0, got ${result.status}\nstderr:\n${result.stderr.slice(0, 3000)}`);
}

/**
 * A refusal (of a damaged or mismatched model folder, say): exit 1, nothing
 * on stdout, and one stderr line "mtl: error: ..." naming `mentions` (and
 * matching `also`). Returns that line.
 */
export function assertOneLineError(result: CliResult, what: string, mentions: string, also?: RegExp): string {
  assertNoCrash(result, what);
  assert.equal(result.status, 1, `${what}: expected exit 1, got ${result.status}\nstderr:\n${result.stderr}`);
  assert.equal(result.stdout, "", `${what}: nothing may be printed on stdout`);
  const lines = linesOf(result.stderr);
  assert.equal(lines.length, 1, `${what}: expected a one-line message, got:\n${result.stderr}`);
  assert.match(lines[0]!, /^mtl: error: /, `${what}: ${lines[0]}`);
  assert.ok(lines[0]!.includes(mentions), `${what}: the message should name '${mentions}':\n${lines[0]}`);
  if (also) assert.match(lines[0]!, also, `${what}: ${lines[0]}`);
  return lines[0]!;
}

/** The non-blank lines of a stream. */
export function linesOf(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== "");
}

export interface ExpectedDataError {
  /** The data file as it was named on the command line. */
  file: string;
  /** The 1-based line the message must name; null: the message names the file without a line. Omitted: not checked. */
  line?: number | null;
  /** The field the message must name, as "(field 'x')". */
  field?: string;
  message?: RegExp;
  hint?: RegExp;
}

/**
 * A data error as the CLI must report it: exit 1, nothing on stdout, and on
 * stderr exactly one "FILE:LINE: error: ..." line followed by one "hint: ..."
 * line (other lines, e.g. "backend: ...", are allowed only before it when
 * `allowPreamble` is set). Returns the error and hint lines.
 */
export function assertDataError(result: CliResult, what: string, expected: ExpectedDataError, allowPreamble = false): { error: string; hint: string } {
  assertNoCrash(result, what);
  const stderr = result.stderr;
  assert.equal(result.status, 1, `${what}: expected exit 1, got ${result.status}\nstderr:\n${stderr.slice(0, 3000)}`);
  assert.equal(result.stdout, "", `${what}: nothing should go to stdout`);
  // Rows skipped under --skip-bad-rows are reported as warnings (with their hints) before the error.
  let lines = linesOf(stderr).filter((l, i, all) => !l.includes(": warning: skipped bad row:") && !(/^\s*hint:/.test(l) && all[i - 1]?.includes(": warning: skipped bad row:")));
  if (allowPreamble) {
    const at = lines.findIndex((l) => l.includes(": error: "));
    if (at > 0) lines = lines.slice(at);
  }
  assert.equal(lines.length, 2, `${what}: expected one error line and one hint line, got:\n${stderr}`);
  const [error, hint] = lines as [string, string];
  const where = expected.line === undefined ? "" : expected.line === null ? "" : `:${expected.line}`;
  const prefix = `${expected.file}${where}: error: `;
  if (expected.line === undefined) {
    assert.ok(error.startsWith(expected.file + ":"), `${what}: the message should start with the file name '${expected.file}', got:\n${error}`);
  } else {
    assert.ok(error.startsWith(prefix), `${what}: the message should start with '${prefix}', got:\n${error}`);
  }
  assert.match(error, /: error: /, `${what}: the message should say "error"`);
  if (expected.field !== undefined) assert.ok(error.includes(`'${expected.field}'`), `${what}: the message should name the field '${expected.field}', got:\n${error}`);
  if (expected.message) assert.match(error, expected.message, `${what}: message`);
  assert.match(hint, /^\s+hint: \S/, `${what}: the second line should be a hint, got:\n${hint}`);
  if (expected.hint) assert.match(hint, expected.hint, `${what}: hint`);
  return { error, hint };
}

/** A CSV text with one field replaced: `fileLine` is the 1-based line in the file (the header is line 1). */
export function withField(csv: string, fileLine: number, column: string, value: string): string {
  const lines = csv.split("\n");
  const header = lines[0]!.split(",");
  const index = header.indexOf(column);
  assert.ok(index >= 0, `no column '${column}' in ${header.join(",")}`);
  const fields = lines[fileLine - 1]!.split(",");
  assert.equal(fields.length, header.length, `line ${fileLine} is not a plain data row`);
  fields[index] = value;
  lines[fileLine - 1] = fields.join(",");
  return lines.join("\n");
}

/** A CSV text with some columns removed (a naive split: generated files have no quoted fields). */
export function withoutColumns(csv: string, drop: readonly string[]): string {
  const lines = csv.split("\n");
  const keep = lines[0]!
    .split(",")
    .map((name, i) => (drop.includes(name) ? -1 : i))
    .filter((i) => i >= 0);
  return lines.map((l) => (l === "" ? l : keep.map((i) => l.split(",")[i]).join(","))).join("\n");
}

/** The first `rows` data rows of a CSV text, with its header. */
export function headCsv(csv: string, rows: number): string {
  return (
    csv
      .split("\n")
      .slice(0, rows + 1)
      .join("\n") + "\n"
  );
}

/** Prediction CSV: the header, and each row's values (null for an empty field). */
export function parsePredictionCsv(text: string): { header: string[]; rows: (number | null)[][] } {
  assert.ok(text.endsWith("\n"), "the CSV output should end with a line break");
  const lines = text.slice(0, -1).split("\n");
  const header = lines[0]!.split(",");
  const rows = lines.slice(1).map((l, i) => {
    const cells = l.split(",");
    assert.equal(cells.length, header.length, `output row ${i + 1} has ${cells.length} fields: '${l}'`);
    return cells.map((c) => {
      if (c === "") return null;
      const x = Number(c);
      assert.ok(c.trim() === c && Number.isFinite(x), `output row ${i + 1}: '${c}' is not a number`);
      return x;
    });
  });
  return { header, rows };
}

/** Prediction JSONL: one object per line. */
export function parsePredictionJsonl(text: string): Record<string, number | null>[] {
  assert.ok(text.endsWith("\n"), "the JSONL output should end with a line break");
  return text
    .slice(0, -1)
    .split("\n")
    .map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, number | null>;
      } catch {
        assert.fail(`output line ${i + 1} is not JSON: '${l}'`);
      }
    });
}

/** Size and SHA-256 of a file, computed here, independently of src/. */
export function fingerprint(path: string): { bytes: number; sha256: string } {
  const data = readFileSync(path);
  return { bytes: data.length, sha256: createHash("sha256").update(data).digest("hex") };
}
