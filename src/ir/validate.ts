import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { packageRoot } from "../util/package-root.js";
import type { ModelIR } from "./types.js";

export const IR_SCHEMA_PATH = join(packageRoot(), "grammar", "mtl-ir.schema.json");

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(IR_SCHEMA_PATH, "utf8")) as object;
    validator = new Ajv({ allErrors: true, strict: true }).compile(schema);
  }
  return validator;
}

export interface IrViolation {
  /** JSON Pointer to the offending value, e.g. `/tasks/0/weight`. */
  path: string;
  message: string;
}

/** Checks any value against the IR's JSON Schema; an empty list means valid. */
export function validateIr(ir: unknown): IrViolation[] {
  const validate = compiled();
  if (validate(ir)) return [];
  return simplify(validate.errors ?? []);
}

/** Same, for IR the compiler itself produced: a violation is a compiler bug. */
export function assertValidIr(ir: ModelIR): ModelIR {
  const violations = validateIr(ir);
  if (violations.length) {
    throw new Error(`internal error: the compiler produced an invalid IR:\n${violations.map((v) => `  ${v.path || "/"}: ${v.message}`).join("\n")}`);
  }
  return ir;
}

/**
 * `oneOf` failures list every branch's complaint; keep the deepest ones,
 * which name the actual offending value.
 */
function simplify(errors: ErrorObject[]): IrViolation[] {
  const deepest = Math.max(...errors.map((e) => e.instancePath.split("/").length));
  const seen = new Set<string>();
  const out: IrViolation[] = [];
  for (const e of errors) {
    if (e.instancePath.split("/").length < deepest && errors.some((o) => o.instancePath.startsWith(e.instancePath + "/"))) continue;
    const message = e.keyword === "additionalProperties" ? `unexpected property '${(e.params as { additionalProperty: string }).additionalProperty}'` : (e.message ?? "is invalid");
    const key = `${e.instancePath}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path: e.instancePath, message });
  }
  return out;
}
