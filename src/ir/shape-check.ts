import type { ValidateFunction } from "ajv";
import validate from "./ir-validator.generated.js";

/**
 * The IR's JSON Schema as ajv compiles it: compiled ahead of time into
 * ir-validator.generated.ts by scripts/write-ir-schema.ts (a test keeps it
 * fresh), so no run pays for ajv's compile and TypeBox stays out of run
 * time. The browser playground substitutes a version that bundles the
 * schema file (playground/src/browser/shape-check.ts).
 */
export function shapeValidator(): ValidateFunction {
  return validate as unknown as ValidateFunction;
}
