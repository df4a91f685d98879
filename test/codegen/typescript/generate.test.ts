/**
 * The TypeScript back end, statically: every example spec generates a module
 * that type-checks under `tsc --strict` against the installed TensorFlow.js,
 * the same IR gives the same bytes, and the spec's doc comments are in it.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { test } from "node:test";
import { generateTypeScript } from "../../../src/codegen/typescript/index.js";
import { compileSource } from "../../../src/compiler.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { exampleSpecs, repoRoot } from "../../helpers/paths.js";
import { typeCheck } from "./tsc.js";

function compile(file: string): ValidIR {
  const result = compileSource(readFileSync(file, "utf8"), basename(file));
  assert.ok(result.ir, `${file} does not compile`);
  return result.ir;
}

/** Doc texts of the IR: model, features, nodes and tasks. */
function docs(ir: ValidIR): string[] {
  return [ir.model.doc, ...ir.features.map((f) => f.doc), ...ir.nodes.map((n) => n.doc), ...ir.tasks.map((t) => t.doc)].filter(
    (d): d is string => d !== undefined,
  );
}

test("every example spec generates a module that type-checks with tsc --strict, deterministically, with its docs", async () => {
  const dir = join(repoRoot(), ".build-codegen-tmp", "typecheck");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const spec of exampleSpecs()) {
    const ir = compile(spec);
    const first = await generateTypeScript(ir);
    const second = await generateTypeScript(compile(spec));
    assert.equal(first, second, `${spec}: two generations differ`);
    assert.match(first, /^import \* as tf from "@tensorflow\/tfjs";$/m);
    assert.doesNotMatch(first, /from "(?!@tensorflow\/tfjs")/, "imports nothing but @tensorflow/tfjs");
    for (const doc of docs(ir)) {
      for (const line of doc.split("\n").filter((l) => l.trim() !== "")) {
        assert.ok(first.includes(line.replace(/\*\//g, "*\\/")), `${spec}: doc line ${JSON.stringify(line)} is not in the module`);
      }
    }
    for (const task of ir.tasks) assert.match(first, new RegExp(`^\\s*${task.name}: number;$`, "m"), `Output has ${task.name}`);
    const name = basename(spec, ".mtl").replace(/-/g, "_");
    writeFileSync(join(dir, `${name}.ts`), first);
    files.push(`${name}.ts`);
  }
  const node = await generateTypeScript(compile(exampleSpecs()[0]!), { tfjsPackage: "@tensorflow/tfjs-node" });
  assert.match(node, /^import \* as tf from "@tensorflow\/tfjs-node";$/m);
  const { status, output } = typeCheck(dir, files);
  assert.equal(output.trim(), "", `tsc reported:\n${output}`);
  assert.equal(status, 0);
});
