import { existsSync, mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { Option, type Command } from "commander";
import { compileFile } from "../../compiler.js";
import { renderHuman, summary } from "../../diagnostics/render-human.js";
import type { ModelIR } from "../../ir/types.js";
import { EXIT_ERRORS, EXIT_OK } from "../exit-codes.js";
import { emit, flagged, refuseInsideModel, refuseSameFiles, useColor, type NamedPath } from "../output.js";
import { ModelDirError, UsageError } from "../../errors.js";

export interface TargetOptions {
  model?: string;
  tfjsNode?: boolean;
}

/** Back ends by target name; each reads the IR only, and is loaded only when used. */
const TARGETS: Record<"ir" | "ts" | "dot" | "svg", { extension: string; render: (ir: ModelIR, options: TargetOptions) => Promise<string> }> = {
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
export function compileTo(target: keyof typeof TARGETS, ir: ModelIR, options: TargetOptions = {}): Promise<string> {
  return TARGETS[target]!.render(ir, options);
}

/**
 * The fitted statistics of a trained model folder, for the spec being
 * compiled. The folder is checked as `mtl predict` checks it (every file
 * against the manifest's size and SHA-256), and the spec must describe the
 * model that was trained there: otherwise the module would embed statistics
 * for other features, or build a network the trained weights do not fit.
 */
async function trainedEncoding(dir: string, ir: ModelIR) {
  const { parseEncoding } = await import("../../data/encode/index.js");
  const { specMismatch, openModelDir } = await import("../../model-dir/folder.js");
  const encodingPath = join(dir, "encoding.json");
  if (!existsSync(encodingPath)) throw new UsageError(`--model ${dir}: no encoding.json there; pass the --out folder of 'mtl train'`);
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
  try {
    return parseEncoding(trained.read("encoding.json").toString("utf8"), ir);
  } catch (error) {
    if (error instanceof ModelDirError) throw new ModelDirError(`--model ${dir}: ${error.message}`);
    throw new ModelDirError(`--model ${dir}: ${encodingPath}: ${(error as Error).message}`);
  }
}

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
        "  svg  the architecture as a picture (Graphviz compiled to WebAssembly; no system binary needed)",
    )
    .argument("<spec...>", ".mtl files to compile")
    .addOption(new Option("-t, --target <target>", "what to generate").choices(Object.keys(TARGETS)).default("ir"))
    .addOption(new Option("--emit <target>", "alias of --target").choices(Object.keys(TARGETS)))
    .option("-o, --output <file>", "write here instead of standard output (one spec only); written atomically")
    .option("--out-dir <dir>", "write one file per spec into this folder, named after the spec")
    .option("--model <dir>", "ts: a trained model folder (from 'mtl train --out') whose encoding statistics to embed; checked against its manifest, and trained on this spec")
    .option("--tfjs-node", "ts: import @tensorflow/tfjs-node instead of @tensorflow/tfjs")
    .option("--no-color", "never colour diagnostics")
    .action(async (specs: string[], options: CompileOptions) => {
      process.exitCode = await runCompile(specs, options);
    });
}

async function runCompile(specs: string[], options: CompileOptions): Promise<number> {
  const target = TARGETS[(options.emit ?? options.target) as keyof typeof TARGETS];
  if (options.output && options.outDir) throw new UsageError("use either --output or --out-dir, not both");
  if (specs.length > 1 && !options.outDir) throw new UsageError("compiling several specs needs --out-dir DIR");
  const outputs: NamedPath[] = options.outDir
    ? specs.map((spec) => {
        const path = outputFile(options.outDir!, spec, target.extension);
        return { path, label: `${path} (compiled from ${spec})` };
      })
    : options.output !== undefined && options.output !== "-" ? [flagged("--output", options.output)] : [];
  refuseSameFiles(outputs, specs.map((spec) => flagged("the spec", spec)));
  if (options.model !== undefined) for (const output of outputs) refuseInsideModel(output, options.model);
  const results = specs.map((spec) => compileFile(spec));
  const diagnostics = results.flatMap((r) => r.diagnostics);
  if (diagnostics.length) {
    const sources = new Map(results.map((r) => [r.file, r.text]));
    process.stderr.write(renderHuman(diagnostics, sources, { color: useColor(process.stderr, options.color) }) + "\n\n" + summary(diagnostics, results.length) + "\n");
  }
  if (results.some((r) => !r.ir)) return EXIT_ERRORS;
  if (options.outDir) mkdirSync(options.outDir, { recursive: true });
  for (const result of results) {
    const file = options.outDir ? outputFile(options.outDir, result.file, target.extension) : options.output;
    emit(await target.render(result.ir!, options), file);
  }
  return EXIT_OK;
}

/** What --out-dir names a spec's output: the spec's name, with the target's extension for .mtl. */
function outputFile(outDir: string, spec: string, extension: string): string {
  return join(outDir, basename(spec).replace(/\.mtl$/, "") + extension);
}
