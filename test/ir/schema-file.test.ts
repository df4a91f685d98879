import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { IR_SCHEMA_PATH } from "../../src/ir/schema-file.js";
import { irSchemaText } from "../../src/ir/schema.js";
import { IR_VALIDATOR_PATH, irValidatorText } from "../../scripts/ir-validator-code.js";
import { IR_VERSION } from "../../src/ir/types.js";
import { ACTIVATIONS, FEATURE_CTORS, MLP_CTORS } from "../../src/validation/schema.js";

const published = JSON.parse(readFileSync(IR_SCHEMA_PATH, "utf8")) as Record<string, any>;

test("grammar/mtl-ir.schema.json is what src/ir/schema.ts describes: run `npm run grammar` after changing the IR", () => {
  assert.equal(readFileSync(IR_SCHEMA_PATH, "utf8"), irSchemaText(), "grammar/mtl-ir.schema.json is stale: run `npm run grammar`");
});

test("src/ir/ir-validator.generated.ts is ajv's code of that schema: run `node dist/scripts/write-ir-schema.js` after changing the IR", () => {
  assert.equal(readFileSync(IR_VALIDATOR_PATH, "utf8"), irValidatorText(), "src/ir/ir-validator.generated.ts is stale: run `node dist/scripts/write-ir-schema.js`, then build");
});

test("the published schema is for this IR version", () => {
  assert.equal(published["properties"].irVersion.const, IR_VERSION);
});

/** The `then` branch of a tagged union for one tag. */
function branch(union: Record<string, any>, key: string, tag: string): Record<string, any> {
  const found = (union["allOf"] as Record<string, any>[]).find((b) => b["if"].properties[key].const === tag);
  assert.ok(found, `no '${tag}' branch`);
  return found["then"];
}

test("vocabularies and ranges come from the option table, not a copy", () => {
  const mlp = branch(published["properties"].nodes.items, "op", "mlp");
  assert.deepEqual(mlp["properties"].activation.enum, [...ACTIVATIONS]);
  assert.deepEqual(mlp["properties"].dropout, { type: "number", minimum: 0, exclusiveMaximum: 1 });
  assert.equal(MLP_CTORS.mlp.options.dropout.type.max, 1);
  const numeric = branch(published["properties"].features.items, "kind", "numeric");
  assert.deepEqual(numeric["properties"].transform.enum, [...FEATURE_CTORS.numeric.options.transform.type.values]);
  const table = published["properties"].tables.items;
  assert.deepEqual(table.properties.dim, { type: "integer", minimum: FEATURE_CTORS.categorical.options.dim.type.min, maximum: FEATURE_CTORS.categorical.options.dim.type.max });
});
