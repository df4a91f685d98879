/**
 * `npm run grammar`: writes grammar/mtl-ir.schema.json, the published JSON
 * Schema of the IR, from its one source, src/ir/schema.ts.
 * test/ir/schema-file.test.ts fails when the committed file is stale.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { IR_SCHEMA_PATH } from "../src/ir/schema-file.js";
import { irSchemaText } from "../src/ir/schema.js";

const text = irSchemaText();
if (existsSync(IR_SCHEMA_PATH) && readFileSync(IR_SCHEMA_PATH, "utf8") === text) {
  console.log(`${IR_SCHEMA_PATH} is up to date`);
} else {
  writeFileSync(IR_SCHEMA_PATH, text);
  console.log(`wrote ${IR_SCHEMA_PATH}`);
}
