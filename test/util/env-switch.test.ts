import { test } from "node:test";
import assert from "node:assert/strict";
import { switchedOff, switchedOn } from "../../src/util/env-switch.js";

test("a switch reads off and on words alike whatever their case and blanks, and nothing else as either", () => {
  for (const word of ["off", "OFF", " 0 ", "none", "False", "no"]) assert.equal(switchedOff(word), true, word);
  for (const word of ["on", " ON", "1", "true", "Yes"]) assert.equal(switchedOn(word), true, word);
  for (const word of [undefined, "", "auto", "/usr/lib/libopenblas.so", "2"]) {
    assert.equal(switchedOff(word), false, String(word));
    assert.equal(switchedOn(word), false, String(word));
  }
  assert.equal(switchedOn("off"), false);
  assert.equal(switchedOff("on"), false);
});
