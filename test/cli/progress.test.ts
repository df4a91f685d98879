import assert from "node:assert/strict";
import { test } from "node:test";
import { progressReporter } from "../../src/cli/progress.js";

test("an epoch's task weights (gradnorm, dwa) are printed with that epoch's summary, and only with it", () => {
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const progress = progressReporter({ quiet: false });
    progress.epochStart(1, 2, 10);
    progress.step(10, { total: 1.5, perTask: { ctr: 0.5, cvr: 1 } });
    progress.taskWeights!(1, { ctr: 1.25, cvr: 0.75 });
    progress.epochEnd(1, [], "training");
    progress.epochStart(2, 2, 10);
    progress.step(10, { total: 1.4, perTask: { ctr: 0.5, cvr: 0.9 } });
    progress.epochEnd(2, [], "training");
    progress.stop();
  } finally {
    process.stderr.write = write;
  }
  const text = written.join("");
  const epoch2 = text.indexOf("epoch 2/2");
  assert.ok(epoch2 > 0, text);
  assert.match(text.slice(0, epoch2), /epoch 1\/2: .*\ntask weights: ctr 1\.2500, cvr 0\.7500\n/);
  assert.doesNotMatch(text.slice(epoch2), /task weights/);
});
