import assert from "node:assert/strict";
import { test } from "node:test";
import { closest } from "../../src/diagnostics/suggest.js";

test("a typo within one edit in three gets the closest name", () => {
  assert.equal(closest("gl", ["g1", "x"]), "g1");
  assert.equal(closest("lbael", ["label", "where"]), "label");
  assert.equal(closest("dropuot", ["dropout", "activation"]), "dropout");
  assert.equal(closest("X", ["x", "y"]), "x", "case alone is a typo");
});

test("a name with every character different is no typo: no suggestion (check --fix would apply it)", () => {
  assert.equal(closest("z", ["a", "x"]), undefined);
  assert.equal(closest("y", ["x"]), undefined);
  assert.equal(closest("ab", ["xy"]), undefined);
  assert.equal(closest("bogus", ["label", "where"]), undefined);
});
