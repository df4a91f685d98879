/**
 * The whole-process workloads: a spec, a data file and a number of epochs,
 * trained by `mtl train` and by torch_process.py, each in a fresh process.
 * Data files are generated once into the work folder and reused while their
 * name (which carries every size) matches.
 */
import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { generateMmoe, mmoeColumns } from "../../src/data/synthetic/mmoe.js";
import { writeGenerated } from "../../src/data/synthetic/write.js";
import { ZipfSampler } from "../../src/data/synthetic/zipf.js";
import { CENSUS_HEAD_FILE, CENSUS_TEST_FILE } from "../../src/experiments/census/data-files.js";
import { syntheticSpec } from "../../src/experiments/mmoe-synthetic/specs.js";
import { packageRoot } from "../../src/util/package-root.js";
import { Rng } from "../../src/util/random.js";

export const PROCESS_WORKLOAD_IDS = ["mmoe-synthetic", "census-mmoe", "recsys-e2e"] as const;
export type ProcessWorkloadId = (typeof PROCESS_WORKLOAD_IDS)[number];

export interface ProcessWorkload {
  id: ProcessWorkloadId;
  /** One line for the report. */
  title: string;
  specText: string;
  epochs: number;
  /** The target for mtl / PyTorch (wall time ratio, PyTorch's over mtl's). */
  target: number;
  /** The bound on mtl's time outside training steps, in seconds, when it sets one. */
  fixedCostTarget?: number;
  /** Makes the data file (when missing) and returns its path. */
  data(workDir: string): Promise<string>;
}

export function processWorkload(id: ProcessWorkloadId, quick: boolean): ProcessWorkload {
  switch (id) {
    case "mmoe-synthetic": {
      const rows = quick ? 2_000 : 20_000;
      const epochs = quick ? 1 : 15;
      return {
        id,
        title: `MMoE synthetic (100 numeric inputs, 8 experts [16], towers [8]), ${rows.toLocaleString("en-US")} rows, ${epochs} epoch${epochs === 1 ? "" : "s"} of batch 64`,
        specText: syntheticSpec("mmoe", 16, { lr: 0.001, batch: 64, epochs, seed: 1 }, 100),
        epochs,
        target: 1,
        data: async (dir) => {
          const file = join(dir, `mmoe-synthetic-${rows}.csv`);
          if (!existsSync(file)) await atomically(file, (tmp) => writeGenerated(generateMmoe({ rows, correlation: 0.5, seed: 1 }), mmoeColumns(100), tmp, rows));
          return file;
        },
      };
    }
    case "census-mmoe": {
      const epochs = quick ? 1 : 10;
      const file = quick ? CENSUS_HEAD_FILE : CENSUS_TEST_FILE;
      return {
        id,
        title: `specs/census-mmoe.mtl on ${quick ? "the census head file (1,891 rows)" : "census-income.test.gz (99,762 rows)"}, ${epochs} epoch${epochs === 1 ? "" : "s"} of batch 256`,
        specText: readFileSync(join(packageRoot(), "specs", "census-mmoe.mtl"), "utf8"),
        epochs,
        target: 1,
        data: async () => file,
      };
    }
    case "recsys-e2e": {
      const rows = quick ? 2_048 : 204_800;
      const spec = readFileSync(join(packageRoot(), "bench", "train", "specs", "recsys-mmoe.mtl"), "utf8");
      return {
        id,
        title: `bench/train/specs/recsys-mmoe.mtl (26 tables of ${quick ? "1,000" : "100,000"} x 16) on a generated CSV of ${rows.toLocaleString("en-US")} rows, 1 epoch of batch 1024`,
        // Quick: small tables, so the smoke test does not spend seconds initialising 41.6M weights.
        specText: quick ? spec.replaceAll("buckets: 100_000", "buckets: 1_000") : spec,
        epochs: 1,
        target: 1,
        fixedCostTarget: 3,
        data: async (dir) => {
          const file = join(dir, `recsys-${rows}.csv`);
          if (!existsSync(file)) await atomically(file, async (tmp) => writeFileSync(tmp, recsysCsv(rows, 11)));
          return file;
        },
      };
    }
  }
}

/**
 * A click log: 13 user and 13 item columns of Zipf-distributed ids (the long
 * tail of real logs, so a batch repeats popular rows), a click in 30% of the
 * rows and a purchase in 10% of the clicks.
 */
export function recsysCsv(rows: number, seed: number): string {
  const rng = new Rng(seed);
  const users = new ZipfSampler(1_000_000, 1.05);
  const items = new ZipfSampler(1_000_000, 1.05);
  const header = [...Array.from({ length: 13 }, (_, i) => `user${i + 1}`), ...Array.from({ length: 13 }, (_, i) => `item${i + 1}`), "click", "purchase"];
  const lines = [header.join(",")];
  const fields: string[] = new Array(header.length);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < 13; k++) fields[k] = String(users.sample(rng) * 13 + k);
    for (let k = 0; k < 13; k++) fields[13 + k] = String(items.sample(rng) * 13 + k);
    const click = rng.next() < 0.3;
    fields[26] = click ? "1" : "0";
    fields[27] = click && rng.next() < 0.1 ? "1" : "0";
    lines.push(fields.join(","));
  }
  return lines.join("\n") + "\n";
}

/** Writes `file` through a temporary name, so an interrupted generation never leaves a short file to be reused. */
async function atomically(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  mkdirSync(join(file, ".."), { recursive: true });
  // The extension stays last: the writer picks the format by it.
  const tmp = file.replace(/(\.[a-z]+)$/, `.${process.pid}.tmp$1`);
  await write(tmp);
  renameSync(tmp, file);
}
