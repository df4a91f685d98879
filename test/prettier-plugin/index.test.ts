import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import * as prettier from "prettier";
import { formatSource } from "../../src/format/index.js";
import plugin from "../../src/prettier-plugin/index.js";
import { tempDir } from "../helpers/cli.js";
import { exampleSpecs, repoRoot } from "../helpers/paths.js";

const PLUGIN_FILE = fileURLToPath(new URL("../../src/prettier-plugin/index.js", import.meta.url));
const PRETTIER_BIN = join(repoRoot(), "node_modules", "prettier", "bin", "prettier.cjs");

test("prettier's API formats .mtl exactly like formatSource", async () => {
  for (const file of exampleSpecs()) {
    const text = readFileSync(file, "utf8");
    const expected = formatSource(text, file).text!;
    assert.equal(await prettier.format(text, { parser: "mtl", plugins: [plugin] }), expected, file);
    assert.equal(await prettier.format(text, { filepath: file, plugins: [plugin] }), expected, `${file}: parser inferred from .mtl`);
  }
  assert.equal(await prettier.format("", { parser: "mtl", plugins: [plugin] }), "");
});

test("a syntax error is a prettier syntax error with a location", async () => {
  await assert.rejects(
    prettier.format("model m\nfeature a : (\n", { parser: "mtl", plugins: [plugin] }),
    (error: Error & { loc?: { start: { line: number; column: number } } }) => {
      assert.equal(error.name, "SyntaxError");
      assert.deepEqual(error.loc?.start, { line: 2, column: 13 });
      assert.match(error.message, /MTL1003/);
      return true;
    },
  );
});

test("the prettier CLI with --plugin checks and writes .mtl files", () => {
  const { dir } = tempDir("prettier");
  // The example specs are formatted already; spread one out so there is something to rewrite.
  const source = readFileSync(exampleSpecs().find((f) => f.endsWith("esmm.mtl"))!, "utf8").replace(/ label /g, "     label ");
  assert.notEqual(formatSource(source, "a.mtl").text, source);
  writeFileSync(join(dir, "a.mtl"), source);
  writeFileSync(join(dir, "bad.mtl"), "model m\nfeature a : (\n");
  const run = (...args: string[]) => spawnSync(process.execPath, [PRETTIER_BIN, "--no-config", "--plugin", PLUGIN_FILE, ...args], { cwd: dir, encoding: "utf8" });
  const check = run("--check", "a.mtl");
  assert.equal(check.status, 1, check.stderr);
  const write = run("--write", "*.mtl");
  assert.equal(write.status, 2, "bad.mtl fails");
  assert.match(write.stderr, /bad\.mtl: SyntaxError: .*\(2:13\)/);
  assert.equal(readFileSync(join(dir, "a.mtl"), "utf8"), formatSource(source, "a.mtl").text);
  assert.equal(readFileSync(join(dir, "bad.mtl"), "utf8"), "model m\nfeature a : (\n");
  const again = run("--check", "a.mtl");
  assert.equal(again.status, 0, again.stdout + again.stderr);
});
