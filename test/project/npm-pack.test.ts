/**
 * What `npm publish` would ship installs and works in an empty folder: the
 * package carries everything `mtl check`, `mtl compile` and `mtl demo` read at
 * run time (compiled code, the IR schema, the example specs, the portable
 * sources that generated modules embed, the wasm binaries of its
 * dependencies, the census file the first run trains on with its attribution),
 * and nothing else of the repository's tests or data.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../helpers/cli.js";
import { repoRoot } from "../helpers/paths.js";

const ROOT = repoRoot();

function run(command: string, args: string[], cwd: string, timeoutMs: number) {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: timeoutMs, env: { ...process.env, NO_COLOR: "1" } });
  if (result.error) throw result.error;
  return result;
}

test("npm pack gives a package that installs into an empty folder and runs mtl check, compile and demo", { timeout: 600_000 }, () => {
  const { dir, remove } = tempDir("pack");
  try {
    // dist/ is already built: npm test compiles before it runs the tests.
    const pack = run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], ROOT, 120_000);
    assert.equal(pack.status, 0, pack.stderr);
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    const shipped = info!.files.map((f) => f.path);
    const demoData = ["data/census-income-kdd/census-income.test.gz", "data/census-income-kdd/SOURCE.md"];
    const needed = ["package.json", "dist/src/cli/main.js", "dist/src/index.d.ts", "grammar/mtl-ir.schema.json", "specs/esmm.mtl", "specs/census-mmoe.mtl", "src/portable/hash.ts", "src/portable/layers.ts", ...demoData];
    for (const file of needed) assert.ok(shipped.includes(file), `the package should contain ${file}`);
    const leaked = shipped.filter((p) => /^(data|test|dist\/test|bench|\.ci)\//.test(p) && !demoData.includes(p));
    assert.deepEqual(leaked, [], "tests, CI files and data other than the demo's stay out of the published package");

    const app = join(dir, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "pack-test", private: true }));
    const install = run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", join(dir, info!.filename)], app, 400_000);
    assert.equal(install.status, 0, `npm install of the packed tarball failed:\n${install.stderr}`);
    const mtl = join(app, "node_modules", ".bin", "mtl");
    assert.ok(existsSync(mtl), "the package installs the mtl command");
    const spec = (name: string) => join(app, "node_modules", "mtl", "specs", name);

    const check = run(mtl, ["check", spec("mmoe.mtl")], app, 60_000);
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout + check.stderr, /0 errors, 0 warnings in 1 file/);
    writeFileSync(join(app, "bad.mtl"), "model m\nfeature a : numeric()\ntask t : binary = nope label y\n");
    const bad = run(mtl, ["check", "bad.mtl"], app, 60_000);
    assert.equal(bad.status, 1, "a spec with errors exits 1");
    assert.match(bad.stdout + bad.stderr, /bad\.mtl:3:\d+.*MTL2001/s, "the diagnostic names file, line and code");

    const ts = run(mtl, ["compile", spec("esmm.mtl"), "--target", "ts", "-o", "esmm.ts"], app, 60_000);
    assert.equal(ts.status, 0, ts.stderr);
    assert.match(readFileSync(join(app, "esmm.ts"), "utf8"), /function murmur3StringInt32/, "the generated module embeds the portable hash");

    const demo = run(mtl, ["demo", "--rows", "3000", "--epochs", "1", "--out", "demo"], app, 300_000);
    assert.equal(demo.status, 0, demo.stderr);
    assert.match(demo.stdout, /income > 50K +0\.\d{4}/, "the installed package trains on the census file it ships");
    assert.ok(readdirSync(join(app, "demo", "model")).includes("model.json"), "the demo saves its model folder");
  } finally {
    remove();
  }
});
