import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Ajv as AjvClass, ValidateFunction } from "ajv";
import { IR_SCHEMA_PATH } from "./schema-file.js";

let validator: ValidateFunction | undefined;

/**
 * The IR's JSON Schema compiled by ajv, on first use: `mtl check` never
 * validates an IR and should not pay for ajv. The file is written from
 * schema.ts by `npm run grammar` (a test keeps it fresh), so TypeBox stays out
 * of run time. The browser playground substitutes a version that bundles the
 * file (playground/src/browser/shape-check.ts).
 */
export function shapeValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(IR_SCHEMA_PATH, "utf8")) as object;
    const { Ajv } = createRequire(import.meta.url)("ajv") as { Ajv: typeof AjvClass };
    validator = new Ajv({ allErrors: true, strict: true }).compile(schema);
  }
  return validator;
}
