/**
 * The PyTorch back end: a spec as a small Python package that trains the
 * same model with DistributedDataParallel (under torchrun, or N processes
 * of its own on one machine) and saves an mtl model folder.
 *
 * Generated per spec: model.py (the layer plan, model-code.ts), spec.py
 * (the IR's encodings, tasks and settings, spec-code.ts), tfjs_model.json
 * (the topology and weight layout model.json gets, tfjs-layout.ts), ir.json
 * and spec.mtl. Copied as written: the Python in ./python (encoding, data
 * readers, layers, objective, model folders, train.py). With a trained
 * model folder, trained/ holds its weights and statistics, which train.py
 * starts from.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ValidIR } from "../../ir/types.js";
import { planLayers } from "../../plan/layer-plan.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { packageRoot } from "../../util/package-root.js";
import { modelModule } from "./model-code.js";
import { specModule } from "./spec-code.js";
import { tfjsLayout } from "./tfjs-layout.js";

/** A trained model folder's files, read through its verified manifest (model-dir/folder.ts). */
export interface TrainedFiles {
  /** model.json, every weight file it names, and encoding.json. */
  names: string[];
  read(name: string): Buffer;
}

/** The Python files every package carries unchanged. */
export function runtimeSources(): Map<string, string> {
  const dir = join(packageRoot(), "src", "codegen", "torch", "python");
  return new Map(readdirSync(dir).filter((f) => f.endsWith(".py")).sort().map((f) => [f, readFileSync(join(dir, f), "utf8")]));
}

/** Every file of the package by its path in the folder; the same IR and spec give the same bytes. */
export async function torchPackageFiles(ir: ValidIR, specText: string, trained?: TrainedFiles): Promise<Map<string, string | Buffer>> {
  const plan = planLayers(ir);
  const layout = await tfjsLayout(ir, plan);
  const title = ir.model.description ?? ir.model.name;
  const files = new Map<string, string | Buffer>([
    ["model.py", modelModule(plan, title, layout.weightSpecs)],
    ["spec.py", specModule(ir)],
    ["tfjs_model.json", JSON.stringify(layout) + "\n"],
    ["ir.json", JSON.stringify(ir, null, 2) + "\n"],
    ["spec.mtl", specText],
    ...runtimeSources(),
  ]);
  for (const name of trained?.names ?? []) files.set(join("trained", name), trained!.read(name));
  return files;
}

/**
 * Writes the package into `dir`, each file atomically. A trained/ folder
 * left by an earlier compile with --model is removed without one, since
 * train.py would otherwise start from those weights.
 */
export async function writeTorchPackage(dir: string, ir: ValidIR, specText: string, trained?: TrainedFiles): Promise<string[]> {
  const files = await torchPackageFiles(ir, specText, trained);
  mkdirSync(dir, { recursive: true });
  rmSync(join(dir, "trained"), { recursive: true, force: true });
  if (trained) mkdirSync(join(dir, "trained"));
  for (const [name, content] of files) writeFileAtomic(join(dir, name), content);
  return [...files.keys()];
}
