import type { RawValue } from "../record.js";

/**
 * The text a categorical value is hashed or looked up by. CSV gives strings
 * and JSONL may give numbers or booleans for the same column, so a value is
 * identified by its JavaScript string form: 42 and "42" are one id, as are
 * true and "true". Nothing is trimmed or case-folded here: the reader has
 * already applied the spec's `trim`, and doing more would silently merge
 * values the data keeps apart. (A JSON 42.0 parses to 42 and so matches "42";
 * the text "42.0" stays a different value. An integer beyond 2^53 arrives
 * from the JSONL reader as its text, so it keeps all its digits.)
 */
export function canonicalString(value: Exclude<RawValue, null>): string {
  return typeof value === "string" ? value : String(value);
}
