/**
 * `mtl demo esmm`: ESMM beside a clicks-only CVR model on the same synthetic
 * impressions, scored where ESMM's output is meant to be used: pCTCVR, the
 * probability of click and purchase, over every impression. The models, the
 * world and the scoring are those of the ESMM experiment (src/experiments/esmm),
 * so this is one seed of what docs/results.md measures over several.
 */
import { join } from "node:path";
import { need, score, TRUTH_COLUMNS, writeEsmmData } from "../../experiments/esmm/experiment.js";
import { ESMM_MODEL_LABELS, esmmSpec } from "../../experiments/esmm/specs.js";
import { predictOn, readColumns, trainSpec } from "../../experiments/spec-run.js";
import { selectBackend } from "../../runtime/backend/select.js";
import { EXIT_OK } from "../exit-codes.js";
import { progressReporter } from "../progress.js";
import { elapsed, listing, shown, textTable, writeArtifacts } from "./output.js";

export interface EsmmDemoOptions {
  rows: number;
  epochs: number;
  out: string;
}

/** ESMM, and the clicks-only CVR model that has its own CTR task on the same shared embeddings. */
const MODELS = ["esmm", "naive-shared"] as const;
/** Adam's rate and the batch of the ESMM experiment's sizes; the seed of the first seed. */
const SETTINGS = { lr: 0.001, batch: 512, seed: 1 } as const;

export async function runEsmmDemo(options: EsmmDemoOptions): Promise<number> {
  const started = Date.now();
  const dataDir = join(options.out, "data");
  // Purchases are rare (about 0.4% of impressions): the test file is as large as the training file, so its AUCs rest on hundreds of purchases.
  const size = { trainRows: options.rows, validRows: Math.max(1000, Math.round(options.rows / 10)), testRows: options.rows };
  process.stderr.write(`generating ${size.trainRows.toLocaleString("en-US")} training, ${size.validRows.toLocaleString("en-US")} validation and ${size.testRows.toLocaleString("en-US")} test impressions into ${dataDir}\n`);
  const files = await writeEsmmData(dataDir, size, SETTINGS.seed, "csv");
  const backend = await selectBackend();
  process.stderr.write(`backend: ${backend.reason}\n`);

  const predictions = {} as Record<(typeof MODELS)[number], Record<string, Float32Array>>;
  let truth: Awaited<ReturnType<typeof readColumns<(typeof TRUTH_COLUMNS)[number]>>> | undefined;
  let esmmIr;
  for (const model of MODELS) {
    process.stderr.write(`\ntraining ${ESMM_MODEL_LABELS[model]} into ${join(options.out, model)}\n`);
    const events = progressReporter({ quiet: false });
    let trained;
    try {
      trained = await trainSpec({ specText: esmmSpec(model, { ...SETTINGS, epochs: options.epochs }), name: model, train: files.train, valid: files.valid, workDir: options.out, events });
    } finally {
      events.stop();
    }
    try {
      predictions[model] = await predictOn(trained, files.test);
      truth ??= await readColumns(files.test, trained.ir, TRUTH_COLUMNS);
      if (model === "esmm") esmmIr = trained.ir;
    } finally {
      trained.dispose();
    }
  }
  const esmm = predictions.esmm;
  const naive = predictions["naive-shared"];
  const naiveCvr = need(naive, "cvr");
  const scores = {
    esmm: score(truth!, need(esmm, "ctr"), need(esmm, "cvr"), need(esmm, "ctcvr")),
    naive: score(truth!, need(naive, "ctr"), naiveCvr, need(naive, "ctr").map((p, i) => p * naiveCvr[i]!)),
    truth: score(truth!, truth!.true_ctr, truth!.true_cvr, truth!.true_ctcvr),
  };
  const purchases = truth!.purchase.reduce((a, b) => a + b, 0);
  const clicks = truth!.click.reduce((a, b) => a + b, 0);
  const table = textTable(
    [`AUC on ${size.testRows.toLocaleString("en-US")} test impressions`, "ESMM", "clicks-only CVR", "true probabilities"],
    [
      ["CTCVR: pCTR × pCVR against purchase", ...[scores.esmm, scores.naive, scores.truth].map((s) => s.auc.ctcvr.toFixed(4))],
      ["CTR: pCTR against click", ...[scores.esmm, scores.naive, scores.truth].map((s) => s.auc.ctr.toFixed(4))],
    ],
  );
  const pictures = await writeArtifacts(esmmIr!, join(options.out, "esmm"), options.out, "esmm");
  const model = (name: string) => shown(join(options.out, name));
  process.stdout.write(`
ESMM predicts pCTCVR = pCTR × pCVR, the probability that an impression is clicked and then bought, for every
impression, and learns it from all of them: what ranking candidates by expected purchases needs. Beside it, the same
features and towers with pCVR learnt from clicked impressions only ('label purchase where click'), times its own pCTR.
Both trained for ${options.epochs} epoch${options.epochs === 1 ? "" : "s"} on the same ${size.trainRows.toLocaleString("en-US")} synthetic impressions (true probabilities known), in ${elapsed(started)};
the test impressions hold ${clicks.toLocaleString("en-US")} clicks and ${purchases.toLocaleString("en-US")} purchases.

${table}

The true probabilities are the ceiling no model can pass. This is one seed; docs/results.md (section 2) measures
both models over several, with pCVR's AUC on clicked and on all impressions too.

Written:
${listing([
  [`${model("esmm")}/, ${model("naive-shared")}/`, "the two model folders (each with the spec it was trained on, spec.mtl)"],
  [pictures.svg, "ESMM's architecture (mtl compile SPEC --target svg)"],
  [pictures.ts, "ESMM as standalone TypeScript with its encoding (mtl compile SPEC --target ts --model DIR)"],
  [`${shown(dataDir)}/`, "train.csv, valid.csv, test.csv (true_ctr, true_cvr, buy_if_clicked: the hidden truth)"],
])}

Next:
${listing([
  [`npx mtl eval ${model("esmm")} --data ${shown(files.test)}`, "per-task AUC and log loss, under each task's where"],
  [`npx mtl predict ${model("esmm")} --data ${shown(files.test)} -o ${model("scores.csv")}`, "pCTR, pCVR and pCTCVR per impression"],
  ["npm run experiments -- --only esmm", "ESMM against the clicks-only models over 3 seeds"],
])}
`);
  return EXIT_OK;
}
