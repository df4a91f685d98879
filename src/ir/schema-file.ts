import { join } from "node:path";
import { packageRoot } from "../util/package-root.js";
import { irJsonSchema } from "./schema.js";

/** The published JSON Schema of the IR, for editors and other tools; written by `npm run grammar`. */
export const IR_SCHEMA_PATH = join(packageRoot(), "grammar", "mtl-ir.schema.json");

/** The file's text, exactly as `npm run grammar` writes it. */
export function irSchemaText(): string {
  return JSON.stringify(irJsonSchema(), null, 2) + "\n";
}
