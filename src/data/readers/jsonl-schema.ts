import { Ajv, type ErrorObject } from "ajv";
import type { FeatureIR, LabelIR, TaskIR } from "../../ir/types.js";
import { DataError, type RawRecord } from "../record.js";
import type { RecordCheck } from "./bad-rows.js";
import { showValue } from "./fields.js";

/**
 * Numeric text as the encoder accepts it (src/data/encode/numeric.ts): plain
 * decimal notation, blanks around allowed; no hex, no "Infinity", no "".
 */
const DECIMAL = String.raw`^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$`;

/** One reason a column is read, with the JSON Schema and the words for what it must hold. */
interface ColumnRole {
  schema: Record<string, unknown>;
  expect: string;
  /** Label and `where` columns need a value in every record; features may be missing (the encoder fills them). */
  required: boolean;
}

/**
 * The JSON Schema (draft-07, Ajv's default dialect) of one JSONL record as the
 * spec reads it. Decisions, per column role:
 *
 * - categorical feature: a string or an integer (42 and "42" are the same id);
 * - numeric feature: a number, or a string in plain decimal notation (exports
 *   often quote numbers, and the encoder parses them), never hex or "NaN";
 * - sequence feature: an array of strings/integers, or one string joined by
 *   the feature's separator;
 * - features may be null or absent: the encoder fills missing values;
 * - binary label or `where` column: 0/1, true/false or "0"/"1"/"true"/"false",
 *   or, when the spec declares a positive value, any string, number or boolean
 *   (rows equal to it are positive);
 * - regression label: a number or numeric string;
 * - labels may never be null or absent.
 *
 * Columns the spec does not read are left unconstrained. A column with
 * several roles must satisfy all of them. The same schema also holds for CSV
 * records, whose values are all strings.
 */
export function jsonlRecordSchema(features: FeatureIR[], tasks: TaskIR[]): object {
  const roles = columnRoles(features, tasks);
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [column, list] of roles) {
    properties[column] = list.length === 1 ? list[0]!.schema : { allOf: list.map((r) => r.schema) };
    if (list.some((r) => r.required)) required.push(column);
  }
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "one record of the training data",
    type: "object",
    properties,
    required,
  };
}

/**
 * A record check for readRecords (`limits.check`), compiled once. A record
 * that breaks the schema becomes a DataError naming its line and the first
 * offending field, e.g. "field 'price' must be a number (or a numeric
 * string), got "abc""; further problems in the same record go into the hint.
 */
export function createRecordValidator(features: FeatureIR[], tasks: TaskIR[]): RecordCheck {
  const roles = columnRoles(features, tasks);
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  const validate = ajv.compile(jsonlRecordSchema(features, tasks));
  return (record: RawRecord, file: string): DataError | null => {
    if (validate(record.fields)) return null;
    const problems = describeErrors(validate.errors ?? [], record.fields, roles);
    const [first, ...rest] = problems;
    if (!first) return new DataError(file, record.line, "the record does not match the spec");
    const hint = rest.length > 0 ? `also: ${rest.map((p) => p.message).join("; ")}` : first.hint;
    return new DataError(file, record.line, first.message, hint, first.field);
  };
}

function columnRoles(features: FeatureIR[], tasks: TaskIR[]): Map<string, ColumnRole[]> {
  const roles = new Map<string, ColumnRole[]>();
  const add = (column: string, role: ColumnRole): void => {
    const list = roles.get(column) ?? [];
    if (!list.some((r) => r.expect === role.expect && r.required === role.required)) list.push(role);
    roles.set(column, list);
  };
  for (const f of features) add(f.column, featureRole(f));
  for (const t of tasks) {
    if (t.label) add(t.label.column, t.type === "binary" ? binaryRole(t.label) : regressionRole());
    if (t.where) add(t.where.column, binaryRole(t.where));
  }
  return roles;
}

function featureRole(f: FeatureIR): ColumnRole {
  switch (f.kind) {
    case "categorical":
      return { schema: { type: ["string", "integer", "null"] }, expect: "a string or an integer", required: false };
    case "numeric":
      return { schema: { type: ["number", "string", "null"], pattern: DECIMAL }, expect: "a number (or a numeric string)", required: false };
    case "sequence":
      return {
        schema: { type: ["array", "string", "null"], items: { type: ["string", "integer", "null"] } },
        expect: `a list of strings or integers, or one string of items separated by ${JSON.stringify(f.sep)}`,
        required: false,
      };
  }
}

function binaryRole(label: LabelIR): ColumnRole {
  if (label.positives !== null) {
    return {
      schema: { type: ["string", "number", "boolean"] },
      expect: `a value (rows equal to ${label.positives.map((v) => JSON.stringify(v)).join(" or ")} are positive)`,
      required: true,
    };
  }
  return {
    schema: { enum: [0, 1, true, false, "0", "1", "true", "false"] },
    expect: '0 or 1 (or true/false, "0"/"1")',
    required: true,
  };
}

function regressionRole(): ColumnRole {
  return { schema: { type: ["number", "string"], pattern: DECIMAL }, expect: "a number (or a numeric string)", required: true };
}

interface Problem {
  field: string;
  message: string;
  hint?: string;
}

/** One plain-English problem per field, in the order Ajv found them; Ajv's own wording speaks of schemas, not data. */
function describeErrors(errors: ErrorObject[], fields: Record<string, unknown>, roles: Map<string, ColumnRole[]>): Problem[] {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const e of errors) {
    const path = e.instancePath.split("/").slice(1).map(unescapePointer);
    const column = e.keyword === "required" ? String((e.params as { missingProperty: string }).missingProperty) : path[0];
    if (column === undefined || seen.has(column)) continue;
    seen.add(column);
    const list = roles.get(column) ?? [];
    const expect = list.map((r) => r.expect).join(", and ") || "something else";
    const value = Object.hasOwn(fields, column) ? fields[column] : undefined;
    if (value === undefined || value === null) {
      problems.push({
        field: column,
        message: `field '${column}' ${value === undefined ? "is missing" : "is empty"}; a label column needs a value in every record`,
        hint: "drop the rows without a label, or allow some bad rows to be skipped",
      });
    } else if (path.length > 1 && Array.isArray(value)) {
      const item = value[Number(path[1])];
      problems.push({ field: column, message: `field '${column}' item ${Number(path[1]) + 1} must be a string or an integer, got ${showValue(item)}` });
    } else {
      problems.push({ field: column, message: `field '${column}' must be ${expect}, got ${showValue(value)}` });
    }
  }
  return problems;
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}
