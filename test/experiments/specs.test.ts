/**
 * Every spec the experiments generate (and save beside their reports, and the
 * playground offers) is already in `mtl fmt`'s layout: formatting it changes nothing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MMOE_DEFAULTS } from "../../src/data/synthetic/mmoe.js";
import { ARCHITECTURES } from "../../src/experiments/architecture-text.js";
import { censusParts, censusSpec } from "../../src/experiments/census/specs.js";
import { ESMM_MODELS, esmmSpec } from "../../src/experiments/esmm/specs.js";
import { syntheticSpec } from "../../src/experiments/mmoe-synthetic/specs.js";
import { formatSource } from "../../src/format/index.js";

const train = { lr: 0.001, batch: 128, epochs: 15, seed: 1 };

function generatedSpecs(): [string, string][] {
  const specs: [string, string][] = [];
  const parts = censusParts();
  for (const arch of ARCHITECTURES) {
    for (const inputDim of [3, MMOE_DEFAULTS.inputDim]) specs.push([`synthetic ${arch} on ${inputDim} inputs`, syntheticSpec(arch, 113, train, inputDim)]);
    specs.push([`census ${arch}`, censusSpec(parts, arch, 113, train)]);
  }
  for (const model of ESMM_MODELS) specs.push([`esmm ${model.id}`, esmmSpec(model.id, train)]);
  return specs;
}

test("every generated spec is mtl fmt-clean", () => {
  const specs = generatedSpecs();
  assert.equal(specs.length, 3 * 3 + ESMM_MODELS.length);
  for (const [name, text] of specs) {
    const formatted = formatSource(text, `${name}.mtl`);
    assert.deepEqual(formatted.diagnostics, [], `${name} parses`);
    assert.equal(formatted.text, text, `${name} is in mtl fmt's layout`);
  }
});
