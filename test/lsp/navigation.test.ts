import assert from "node:assert/strict";
import { test } from "node:test";
import type { ResponseError } from "vscode-languageserver/node.js";
import { analyze } from "../../src/lsp/analysis.js";
import { rename } from "../../src/lsp/navigation.js";
import { editSpec, RULE_SPEC } from "../helpers/rule-spec.js";

test("a rename is refused while a syntax error made the parser skip a use of the name (the edit would miss it)", () => {
  // Recovery takes 'ove' for the expert group and skips the 'e' after it.
  const broken = editSpec(RULE_SPEC, [["g2 = softmax(x) over e", "g2 = softmax(x) ove e"]]);
  assert.throws(
    () => rename(analyze("u", 1, broken), broken.indexOf("e[2]"), "ex"),
    (e: ResponseError<void>) => /'e' is also written where a syntax error made the parser skip text.*fix the syntax error first/.test(e.message),
  );
  // Names the skipped text does not write still rename.
  assert.equal(rename(analyze("u", 1, broken), broken.indexOf("t1 = mlp"), "tt").changes?.["u"]?.length, 2);
});

test("the same rename on the fixed spec edits the declaration and both uses", () => {
  const edits = rename(analyze("u", 1, RULE_SPEC), RULE_SPEC.indexOf("e[2]"), "ex").changes?.["u"];
  assert.deepEqual(edits?.map((e) => [e.range.start.line, e.newText]), [[4, "ex"], [5, "ex"], [6, "ex"]]);
});
