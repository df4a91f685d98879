import { join } from "node:path";
import { Option, type Command } from "commander";
import { createEncoder } from "../../data/encode/index.js";
import type { RawRecord } from "../../data/record.js";
import { readRecords } from "../../data/readers/index.js";
import { renderHuman, summary } from "../../diagnostics/render-human.js";
import { renderJson } from "../../diagnostics/render-json.js";
import { renderSarif } from "../../diagnostics/render-sarif.js";
import { diagnoseGates } from "../../inspect/diagnose.js";
import { gatesOf, inspectGates, type GateInspection } from "../../inspect/gates.js";
import { DataError } from "../../data/record.js";
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import { gateHeatmap, gatesJson, gatesTable } from "../../inspect/report.js";
import { loadModelDir } from "../../model-dir/folder.js";
import { selectBackend } from "../../runtime/backend/select.js";
import { encoderCheck, skippedRows, skipReporter, SkipBudget } from "../../train/bad-rows.js";
import { neededColumns, requireColumns } from "../../train/columns.js";
import { readOptionsFor } from "../../train/read-options.js";
import { packageVersion } from "../../util/package-root.js";
import { addDataOptions, dataOverrides, positiveInt, skipBadRows, type DataCliOptions } from "../data-options.js";
import { EXIT_OK } from "../exit-codes.js";
import { emit, flagged, refuseInsideModel, refuseSameFiles, useColor } from "../output.js";

const FORMATS = ["human", "json", "sarif"] as const;

interface InspectCliOptions extends DataCliOptions {
  data: string;
  outputFormat: (typeof FORMATS)[number];
  heatmap?: string;
  maxRows?: string;
  color?: boolean;
}

export function registerInspect(program: Command): void {
  const command = program
    .command("inspect")
    .summary("what a trained model's gates do on data: expert weights, entropy, collapse")
    .description(
      "Run a trained model on a data file and report, for each gate: the mean softmax weight on each expert, the mean entropy of its weights " +
        "and the experts it effectively uses (exp of the entropy). Warns (MTL7001) when a gate has collapsed onto one expert, and (MTL7002) " +
        "when all gates over the same experts are nearly identical (an MMoE behaving as OMoE), with the numbers. Labels are not needed.",
    )
    .argument("<model-dir>", "the --out folder of 'mtl train'")
    .requiredOption("--data <file>", "rows to run the model on")
    .addOption(new Option("--output-format <format>", "human (tables, then warnings with the spec line), json, or sarif (the warnings as SARIF 2.1.0)").choices([...FORMATS]).default("human"))
    .option("--heatmap <file>", "also write a task x expert heatmap of the gates' mean weights (SVG)")
    .option("--max-rows <n>", "read only the first n rows")
    .option("--no-color", "never colour human output (also: NO_COLOR=1)");
  addDataOptions(command).action(async (dir: string, options: InspectCliOptions) => {
    process.exitCode = await runInspect(dir, options);
  });
}

async function runInspect(dir: string, options: InspectCliOptions): Promise<number> {
  const skip = skipBadRows(options);
  const maxRows = positiveInt("--max-rows", options.maxRows);
  if (options.heatmap !== undefined) {
    const output = flagged("--heatmap", options.heatmap);
    refuseSameFiles([output], [flagged("--data", options.data)]);
    refuseInsideModel(output, dir);
  }
  await selectBackend(options.backend);
  const { ir, encoding, model, spec } = await loadModelDir(dir);
  if (gatesOf(ir).length === 0) {
    process.stderr.write(`mtl: model '${ir.model.name}' has no gates: nothing to inspect (gates belong to OMoE, MMoE and PLE specs)\n`);
    // Machine-readable output stays a valid, empty document.
    if (options.outputFormat !== "human") write(options, { rows: 0, gates: [], pairs: [] }, [], "", "");
    return EXIT_OK;
  }
  const encoder = createEncoder(ir, encoding);
  const read = readOptionsFor(options.data, ir.data, dataOverrides(options));
  const budget = new SkipBudget(skip, skipReporter((text) => process.stderr.write(text)));
  const records = readRecords(options.data, read, budget.readerLimits(encoderCheck((rows, file) => encoder.encodeFeaturesOnly(rows, file))));
  const checked = requireColumns(records, neededColumns(ir, false), options.data, read);
  const inspection = await inspectGates(ir, model, encoder, maxRows === undefined ? checked : firstRows(checked, maxRows), { batch: 4096, file: options.data, onBadRow: budget.take });
  if (budget.skipped.length) process.stderr.write(`${skippedRows(budget.skipped.length)}; the statistics leave them out\n`);
  if (inspection.rows === 0) throw new DataError(options.data, null, "no rows to run the model on", "give a file with at least one row the model can read");
  const specFile = join(dir, "spec.mtl");
  const diagnostics = diagnoseGates(inspection, spec, specFile);
  // The heatmap first: if it cannot be written, the run fails before printing results.
  if (options.heatmap !== undefined) emit(gateHeatmap(inspection, `Gates of '${ir.model.name}': mean weight per expert`), options.heatmap);
  write(options, inspection, diagnostics, spec, specFile);
  return EXIT_OK;
}

/** The inspection and its warnings on stdout, in the --output-format asked for. */
function write(options: InspectCliOptions, inspection: GateInspection, diagnostics: Diagnostic[], spec: string, specFile: string): void {
  const format = options.outputFormat;
  if (format === "json") process.stdout.write(JSON.stringify({ ...(gatesJson(inspection) as object), diagnostics: JSON.parse(renderJson(diagnostics)) }, null, 2) + "\n");
  else if (format === "sarif") process.stdout.write(renderSarif(diagnostics, { version: packageVersion(), baseDir: process.cwd() }) + "\n");
  else {
    const warnings = renderHuman(diagnostics, new Map([[specFile, spec]]), { color: useColor(process.stdout, options.color) });
    process.stdout.write(`${gatesTable(inspection)}\n\n${warnings ? warnings + "\n\n" : ""}${summary(diagnostics, 1)} (${inspection.rows.toLocaleString("en-US")} rows of ${options.data})\n`);
  }
}

async function* firstRows(records: AsyncIterable<RawRecord>, n: number): AsyncGenerator<RawRecord> {
  let left = n;
  if (left <= 0) return;
  for await (const record of records) {
    yield record;
    if (--left === 0) return;
  }
}
