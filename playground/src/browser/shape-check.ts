/**
 * Browser version of src/ir/shape-check.ts: the same schema file, bundled
 * instead of read from disk, so the page runs the real IR gate.
 */
import { Ajv, type ValidateFunction } from "ajv";
import schema from "../../../grammar/mtl-ir.schema.json" with { type: "json" };

let validator: ValidateFunction | undefined;

export function shapeValidator(): ValidateFunction {
  return (validator ??= new Ajv({ allErrors: true, strict: true }).compile(schema as object));
}
