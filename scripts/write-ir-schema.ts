/**
 * `npm run grammar`: writes grammar/mtl-ir.schema.json, the published JSON
 * Schema of the IR, from its one source, src/ir/schema.ts, and the check
 * compiled from it, src/ir/ir-validator.generated.ts (ir-validator-code.ts).
 * test/ir/schema-file.test.ts fails when either committed file is stale.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { IR_SCHEMA_PATH } from "../src/ir/schema-file.js";
import { irSchemaText } from "../src/ir/schema.js";
import { IR_VALIDATOR_PATH, irValidatorText } from "./ir-validator-code.js";

for (const [path, text] of [
  [IR_SCHEMA_PATH, irSchemaText()],
  [IR_VALIDATOR_PATH, irValidatorText()],
] as const) {
  if (existsSync(path) && readFileSync(path, "utf8") === text) {
    console.log(`${path} is up to date`);
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
}
