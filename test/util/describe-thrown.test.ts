import assert from "node:assert/strict";
import { test } from "node:test";
import { describeThrown } from "../../src/util/describe-thrown.js";

test("describeThrown reads whatever was thrown, never '[object Object]'", () => {
  assert.equal(describeThrown(new RangeError("Maximum call stack size exceeded")), "Maximum call stack size exceeded");
  assert.equal(describeThrown({ message: "out of memory" }), "out of memory");
  assert.equal(describeThrown({ status: 1, what: "abort" }), '{"status":1,"what":"abort"}');
  assert.equal(describeThrown("plain"), "plain");
  assert.equal(describeThrown(undefined), "undefined");
  const cyclic: Record<string, unknown> = {};
  cyclic["self"] = cyclic;
  assert.equal(describeThrown(cyclic), "a thrown object with the keys self");
});
