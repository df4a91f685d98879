/**
 * Initialisers compared (not a test): the MMoE synthetic experiment's MMoE
 * spec (src/experiments/mmoe-synthetic) trained with each `init` on the same
 * data, seed by seed, and its test MSE (mean of the two tasks). The figures
 * in docs/language.md ("Initialisation") come from here.
 *
 *   npx tsc -p tsconfig.json && nice node dist/bench/init.js [--seeds 1,2,3] [--epochs 5] [--inits torch,glorot_uniform]
 *
 * Data: 20,000 training, 2,000 validation and 10,000 test rows at task
 * correlation 0.9 (`mtl generate mmoe`'s default), batch 64, Adam 0.001.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { squared, writeSyntheticData } from "../src/experiments/mmoe-synthetic/experiment.js";
import { SYNTHETIC_TASKS, syntheticSpec } from "../src/experiments/mmoe-synthetic/specs.js";
import { evaluateOn, taskMetrics, trainSpec } from "../src/experiments/spec-run.js";
import { MMOE_DEFAULTS } from "../src/data/synthetic/mmoe.js";
import { selectBackend } from "../src/runtime/backend/select.js";
import { INITS } from "../src/validation/schema.js";

const { values } = parseArgs({ options: { seeds: { type: "string", default: "1,2,3" }, epochs: { type: "string", default: "5" }, inits: { type: "string", default: "torch,glorot_uniform" } } });
const seeds = values.seeds.split(",").map(Number);
const epochs = Number(values.epochs);
const inits = values.inits.split(",");
for (const init of inits) if (!(INITS as readonly string[]).includes(init)) throw new Error(`unknown init '${init}' (known: ${INITS.join(", ")})`);

const SIZE = { trainRows: 20_000, validRows: 2_000, testRows: 10_000, epochs, batch: 64, lr: 0.001, seeds, correlations: [0.9] };

/** The experiment's MMoE spec with `init` on every network and gate. */
function specWith(init: string, seed: number): string {
  const text = syntheticSpec("mmoe", 1, { lr: SIZE.lr, batch: SIZE.batch, epochs, seed }, MMOE_DEFAULTS.inputDim);
  return text.replace(/= mlp\((\w+), \[(\d+)\]\)/g, `= mlp($1, [$2], init: ${init})`).replace(/= softmax\((\w+)\)/g, `= softmax($1, init: ${init})`);
}

await selectBackend();
const work = mkdtempSync(join(tmpdir(), "mtl-init-"));
try {
  const results: Record<string, number[]> = Object.fromEntries(inits.map((i) => [i, []]));
  for (const seed of seeds) {
    const dir = join(work, `seed${seed}`);
    const files = await writeSyntheticData(dir, SIZE, 0.9, seed);
    for (const init of inits) {
      const spec = specWith(init, seed);
      if (!spec.includes(`init: ${init}`)) throw new Error("the spec template changed: no network received the init");
      const started = Date.now();
      const trained = await trainSpec({ specText: spec, name: init, ...files, workDir: dir });
      try {
        const evaluation = await evaluateOn(trained, files.test);
        const mse = SYNTHETIC_TASKS.reduce((s, t) => s + squared(taskMetrics(evaluation, t.name)), 0) / SYNTHETIC_TASKS.length;
        results[init]!.push(mse);
        console.log(`seed ${seed}, init ${init}: test MSE ${mse.toFixed(4)} (${trained.steps} steps, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
      } finally {
        trained.dispose();
      }
    }
  }
  for (const init of inits) {
    const r = results[init]!;
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    console.log(`${init}: mean test MSE ${mean.toFixed(4)} over seeds ${seeds.join(", ")} (${r.map((x) => x.toFixed(4)).join(", ")})`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
