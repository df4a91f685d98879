import { DataError, type RawRecord, type RawValue } from "../data/record.js";
import { UsageError } from "../errors.js";

/**
 * The groups of GAUC (`mtl eval --group-by COLUMN`): each distinct value of
 * the column is one group, numbered in order of first appearance. Values are
 * compared as text, so a JSONL user id written 7 in one record and "7" in
 * another is one user.
 */
export class GroupIndex {
  private readonly ids = new Map<string, number>();
  private checked = false;

  constructor(
    readonly column: string,
    private readonly file: string,
  ) {}

  /** Distinct values seen so far. */
  get size(): number {
    return this.ids.size;
  }

  /**
   * The group of each row. The first row must have the column (a misspelt
   * --group-by is named with the columns the file has); a row without a
   * value stops the run at its line, since putting it in some group would
   * change the number silently.
   */
  of(rows: readonly RawRecord[]): Uint32Array {
    const out = new Uint32Array(rows.length);
    rows.forEach((row, i) => {
      if (!this.checked) {
        this.checked = true;
        if (!Object.hasOwn(row.fields, this.column)) {
          const columns = Object.keys(row.fields);
          throw new UsageError(`--group-by: ${this.file} has no column '${this.column}'; its columns are: ${columns.join(", ") || "(none)"}`);
        }
      }
      const key = groupKey(row.fields[this.column]);
      if (key === null) {
        throw new DataError(this.file, row.line, `no value in the --group-by column '${this.column}'`, "every row needs a group for GAUC: fill the value, or drop the row", this.column);
      }
      let id = this.ids.get(key);
      if (id === undefined) this.ids.set(key, (id = this.ids.size));
      out[i] = id;
    });
    return out;
  }
}

function groupKey(value: RawValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  return Array.isArray(value) ? JSON.stringify(value) : String(value);
}
