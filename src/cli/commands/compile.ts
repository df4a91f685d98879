import { existsSync, mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { Option, type Command } from "commander";
import { compileFile } from "../../compiler.js";
import { renderHuman, summary } from "../../diagnostics/render-human.js";
import type { ValidIR } from "../../ir/types.js";
import { EXIT_ERRORS, EXIT_OK } from "../exit-codes.js";
import { emit, flagged, refuseInsideModel, refuseSameFiles, useColor, type NamedPath } from "../output.js";
import { ModelDirError, UsageError } from "../../errors.js";
import { TORCH_HELP } from "../../codegen/torch/help.js";

export interface TargetOptions {
  model?: string;
  tfjsNode?: boolean;
}

/** Back ends by target name; each reads the IR only, and is loaded only when used. */
const TARGETS: Record<"ir" | "ts" | "dot" | "svg", { extension: string; render: (ir: ValidIR, options: TargetOptions) => Promise<string> }> = {
  ir: { extension: ".ir.json", render: async (ir) => JSON.stringify(ir, null, 2) },
  ts: {
    extension: ".ts",
    render: async (ir, options) => {
      const { generateTypeScript } = await import("../../codegen/typescript/index.js");
      const encoding = options.model ? await trainedEncoding(options.model, ir) : undefined;
      return generateTypeScript(ir, { ...(encoding && { encoding }), tfjsPackage: options.tfjsNode ? "@tensorflow/tfjs-node" : "@tensorflow/tfjs" });
    },
  },
  dot: { extension: ".dot", render: async (ir) => (await import("../../codegen/graph/index.js")).renderDot(ir) },
  svg: { extension: ".svg", render: async (ir) => (await import("../../codegen/graph/index.js")).renderSvg(ir) },
};

/** What `mtl compile --target <target>` writes for one compiled spec (the demo writes the same files). */
export function compileTo(target: keyof typeof TARGETS, ir: ValidIR, options: TargetOptions = {}): Promise<string> {
  return TARGETS[target]!.render(ir, options);
}

/**
 * A trained model folder, checked as `mtl predict` checks it (every file
 * against the manifest's size and SHA-256), that must have been trained on
 * the spec being compiled: otherwise the output would embed statistics for
 * other features, or build a network the trained weights do not fit.
 */
async function trainedModel(dir: string, ir: ValidIR) {
  const { specMismatch, openModelDir } = await import("../../model-dir/folder.js");
  if (!existsSync(join(dir, "encoding.json"))) throw new UsageError(`--model ${dir}: no encoding.json there; pass the --out folder of 'mtl train'`);
  let trained: ReturnType<typeof openModelDir>;
  try {
    trained = openModelDir(dir);
  } catch (error) {
    if (error instanceof ModelDirError) throw new ModelDirError(`--model ${dir}: ${error.message}`);
    throw error;
  }
  const difference = specMismatch(ir, trained.ir);
  if (difference !== null) {
    throw new ModelDirError(
      `--model ${dir}: the model there was trained on a different spec (${join(dir, "spec.mtl")}): ${difference}; compile that spec, or train this one`,
    );
  }
  return trained;
}

/** The fitted statistics of a trained model folder (see trainedModel), for the spec being compiled. */
async function trainedEncoding(dir: string, ir: ValidIR) {
  const { parseEncoding } = await import("../../data/encode/index.js");
  const trained = await trainedModel(dir, ir);
  try {
    return parseEncoding(trained.read("encoding.json").toString("utf8"), ir);
  } catch (error) {
    if (error instanceof ModelDirError) throw new ModelDirError(`--model ${dir}: ${error.message}`);
    throw new ModelDirError(`--model ${dir}: ${join(dir, "encoding.json")}: ${(error as Error).message}`);
  }
}

/**
 * torch: a Python package (a folder) per spec. With --model, its trained/
 * holds the model's weights and statistics (verified, and checked to fit
 * the spec), which train.py starts from.
 */
async function writeTorch(dir: string, ir: ValidIR, specText: string, options: TargetOptions): Promise<void> {
  const { writeTorchPackage } = await import("../../codegen/torch/index.js");
  let trained: { names: string[]; read(name: string): Buffer } | undefined;
  if (options.model !== undefined) {
    const folder = await trainedModel(options.model, ir);
    await trainedEncoding(options.model, ir);
    const modelJson = JSON.parse(folder.read("model.json").toString("utf8")) as { weightsManifest: { paths: string[] }[] };
    trained = { names: ["model.json", ...modelJson.weightsManifest.flatMap((g) => g.paths), "encoding.json"], read: folder.read };
  }
  await writeTorchPackage(dir, ir, specText, trained);
}

/** Writes a folder rather than a file, so it is not among TARGETS. */
const TORCH = "torch";

interface CompileOptions extends TargetOptions {
  target: string;
  emit?: string;
  output?: string;
  outDir?: string;
  color?: boolean;
}

export function registerCompile(program: Command): void {
  program
    .command("compile")
    .summary("compile specs for a back end: IR, TypeScript, or a picture")
    .description(
      "Compile .mtl specs for a back end. Errors are reported as by 'mtl check' (on standard error) and nothing is written.\n" +
        "Targets:\n" +
        "  ir   the JSON intermediate representation (schema: grammar/mtl-ir.schema.json)\n" +
        "  ts   a standalone, typed TypeScript module (model, encoding, predict) that imports only TensorFlow.js;\n" +
        "       with --model DIR it embeds that trained model's feature statistics\n" +
        "  dot  the architecture as a Graphviz graph\n" +
        "  svg  the architecture as a picture (Graphviz compiled to WebAssembly; no system binary needed)\n" +
        "  torch  a Python package (-o DIR) that trains the same model with PyTorch: model.py, encoding.py (the same hashes and\n" +
        "       statistics), data readers, train.py; it saves an mtl model folder that mtl predict, eval and loadScorer use\n" +
        "       unchanged. With --model DIR it starts from that trained model's weights and statistics.",
    )
    .addHelpText("after", `\n${TORCH_HELP}`)
    .argument("<spec...>", ".mtl files to compile")
    .addOption(new Option("-t, --target <target>", "what to generate").choices([...Object.keys(TARGETS), TORCH]).default("ir"))
    .addOption(new Option("--emit <target>", "alias of --target").choices([...Object.keys(TARGETS), TORCH]).conflicts("target"))
    .option("-o, --output <file>", "write here instead of standard output (one spec only; torch: the package folder); written atomically")
    .option("--out-dir <dir>", "write one file per spec into this folder, named after the spec")
    .option("--model <dir>", "ts, torch: a trained model folder (from 'mtl train --out') whose encoding statistics to embed; checked against its manifest, and trained on this spec")
    .option("--tfjs-node", "ts: import @tensorflow/tfjs-node instead of @tensorflow/tfjs")
    .option("--no-color", "never colour diagnostics")
    .action(async (specs: string[], options: CompileOptions) => {
      process.exitCode = await runCompile(specs, options);
    });
}

async function runCompile(specs: string[], options: CompileOptions): Promise<number> {
  if (options.output && options.outDir) throw new UsageError("use either --output or --out-dir, not both");
  if (specs.length > 1 && !options.outDir) throw new UsageError("compiling several specs needs --out-dir DIR");
  const name = options.emit ?? options.target;
  // Given where they do nothing, they were silently ignored: a user who asked for a trained model's statistics got none.
  if (options.model !== undefined && name !== "ts" && name !== TORCH)
    throw new UsageError(`--model applies to --target ts and torch, not ${name}: leave it out, or compile to ts or torch`);
  if (options.tfjsNode && name !== "ts") throw new UsageError(`--tfjs-node applies to --target ts, not ${name}: leave it out, or compile to ts`);
  if (name === TORCH) return runCompileTorch(specs, options);
  const target = TARGETS[name as keyof typeof TARGETS];
  const outputs: NamedPath[] = options.outDir
    ? specs.map((spec) => {
        const path = outputFile(options.outDir!, spec, target.extension);
        return { path, label: `${path} (compiled from ${spec})` };
      })
    : options.output !== undefined && options.output !== "-" ? [flagged("--output", options.output)] : [];
  refuseSameFiles(outputs, specs.map((spec) => flagged("the spec", spec)));
  if (options.model !== undefined) for (const output of outputs) refuseInsideModel(output, options.model);
  const results = compileReporting(specs, options);
  if (!results) return EXIT_ERRORS;
  if (options.outDir) mkdirSync(options.outDir, { recursive: true });
  for (const result of results) {
    const file = options.outDir ? outputFile(options.outDir, result.file, target.extension) : options.output;
    emit(await target.render(result.ir!, options), file);
  }
  return EXIT_OK;
}

/** Compiles every spec, printing any diagnostics; null when one has errors. */
function compileReporting(specs: string[], options: CompileOptions): (ReturnType<typeof compileFile> & { ir: ValidIR })[] | null {
  const results = specs.map((spec) => compileFile(spec));
  const diagnostics = results.flatMap((r) => r.diagnostics);
  if (diagnostics.length) {
    const sources = new Map(results.map((r) => [r.file, r.text]));
    process.stderr.write(renderHuman(diagnostics, sources, { color: useColor(process.stderr, options.color) }) + "\n\n" + summary(diagnostics, results.length) + "\n");
  }
  return results.every((r) => r.ir) ? (results as (ReturnType<typeof compileFile> & { ir: ValidIR })[]) : null;
}

async function runCompileTorch(specs: string[], options: CompileOptions): Promise<number> {
  if (options.output === undefined && options.outDir === undefined) throw new UsageError("--target torch writes a folder: give -o DIR (or --out-dir DIR for several specs)");
  if (options.output === "-") throw new UsageError("--target torch writes a folder, not standard output: give -o DIR");
  const dirs = options.outDir ? specs.map((spec) => outputFile(options.outDir!, spec, "")) : [options.output!];
  if (options.model !== undefined) for (const dir of dirs) refuseInsideModel(flagged("--output", dir), options.model);
  const results = compileReporting(specs, options);
  if (!results) return EXIT_ERRORS;
  for (const [i, result] of results.entries()) {
    await writeTorch(dirs[i]!, result.ir, result.text, options);
    process.stderr.write(`wrote the PyTorch package ${dirs[i]}; train with: python3 ${join(dirs[i]!, "train.py")} --data FILE --out MODEL --nproc N\n`);
  }
  return EXIT_OK;
}

/** What --out-dir names a spec's output: the spec's name, with the target's extension for .mtl. */
function outputFile(outDir: string, spec: string, extension: string): string {
  return join(outDir, basename(spec).replace(/\.mtl$/, "") + extension);
}
