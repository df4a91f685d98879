import { columnText, isValuesText } from "../../syntax/column-text.js";
import type { LabelIR, TaskIR } from "../../ir/types.js";
import type { RawValue } from "../record.js";
import { canonicalString } from "./canonical.js";
import { FieldError, describeValue } from "./field-error.js";
import { parseNumber } from "./numeric.js";

/** Decodes one label field to its training value; null when the field is missing. */
export type LabelDecoder = (value: RawValue | undefined) => number | null;

/**
 * A binary column: with declared positive values, 1 exactly when the field's
 * text is one of them (census incomes "50000+." against "- 50000."); without,
 * only the unambiguous spellings of 0/1 and true/false, so that a column of
 * "yes"/"no" is caught instead of being read as all zeros.
 */
export function binaryDecoder(label: LabelIR, role: "label" | "where"): LabelDecoder {
  if (label.positives !== null) {
    const positives = new Set(label.positives);
    return (value) => (value === null || value === undefined ? null : positives.has(canonicalString(value)) ? 1 : 0);
  }
  const column = label.column;
  return (value) => {
    if (value === null || value === undefined) return null;
    if (value === 1 || value === true) return 1;
    if (value === 0 || value === false) return 0;
    if (typeof value === "string") {
      if (value === "1") return 1;
      if (value === "0") return 0;
      const lower = value.toLowerCase();
      if (lower === "true") return 1;
      if (lower === "false") return 0;
    }
    const shown = canonicalString(value);
    const positive = positiveSpelling(shown);
    throw new FieldError(
      `${role} column '${column}' must be 0/1 or true/false, got ${describeValue(shown)}`,
      column,
      positive === null
        ? `write the column's values as 0 and 1, or name the values that ${role === "label" ? "mean 1" : "select a row"} as the file writes them: \`${role} ${columnText(column)} is "..."\``
        : `name the values that ${role === "label" ? "mean 1" : "select a row"}: \`${role} ${columnText(column)} ${isValuesText([positive])}\` (several: \`is "A" | "B"\`)`,
    );
  };
}

/**
 * The value a hint offers as the one meaning 1: the bad value itself, except
 * a spelling of 0 ("0.0" from a float column), which would invert the
 * labels: then its 1 in the same spelling ("1.0"), or null when there is none.
 */
function positiveSpelling(shown: string): string | null {
  if (shown.trim() === "" || Number(shown) !== 0) return shown;
  const one = shown.replace("0", "1");
  return Number(one) === 1 ? one : null;
}

/** A regression column: a finite number that fits a float32. */
export function regressionDecoder(label: LabelIR): LabelDecoder {
  const what = `label column '${label.column}'`;
  return (value) => parseNumber(value, label.column, what, false);
}

export function labelDecoder(task: TaskIR, label: LabelIR): LabelDecoder {
  return task.type === "binary" ? binaryDecoder(label, "label") : regressionDecoder(label);
}
