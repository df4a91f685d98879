import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from "ajv";
import { packageRoot } from "../util/package-root.js";
import type { ModelIR } from "./types.js";

export const IR_SCHEMA_PATH = join(packageRoot(), "grammar", "mtl-ir.schema.json");

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(IR_SCHEMA_PATH, "utf8")) as object;
    // Loaded on first use: `mtl check` never validates an IR and should not pay for ajv.
    const { Ajv } = createRequire(import.meta.url)("ajv") as { Ajv: typeof AjvClass };
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
    throw new Error(`the compiler produced an IR that violates its schema:\n${violations.map((v) => `  ${v.path || "/"}: ${v.message}`).join("\n")}`);
  }
  return ir;
}

/**
 * Tagged unions are written as if/then on their discriminator, so ajv reports
 * the real problem inside the matching branch; drop its "must match then"
 * summaries, which only repeat that.
 */
function simplify(errors: ErrorObject[]): IrViolation[] {
  const seen = new Set<string>();
  const out: IrViolation[] = [];
  for (const e of errors) {
    if (e.keyword === "if") continue;
    const message =
      e.keyword === "additionalProperties"
        ? `unexpected property '${(e.params as { additionalProperty: string }).additionalProperty}'`
        : (e.message ?? "is invalid");
    const key = `${e.instancePath}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path: e.instancePath, message });
  }
  return out;
}
