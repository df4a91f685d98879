import { join } from "node:path";
import { packageRoot } from "../util/package-root.js";

/**
 * The JSON Schema of the IR, written from schema.ts by `npm run grammar`
 * (scripts/write-ir-schema.ts); the gate (validate.ts) reads it, and editors
 * and other tools may too.
 */
export const IR_SCHEMA_PATH = join(packageRoot(), "grammar", "mtl-ir.schema.json");

/** The ajv options the schema is compiled with, ahead of time (scripts/ir-validator-code.ts writes ir-validator.generated.ts). */
export const IR_SCHEMA_OPTIONS = { allErrors: true, strict: true } as const;
