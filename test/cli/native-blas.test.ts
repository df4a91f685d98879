/**
 * MTL_BLAS through the CLI: what `mtl train` reports on its backend line, and
 * the one-line error (exit 2, nothing written) for a BLAS that was asked for
 * and cannot be used.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { loadNativeBlas } from "../../src/runtime/backend/blas/native-blas.js";
import { availableCores } from "../../src/runtime/parallel/cores.js";
import { assertNoCrash, runCli, tempDir } from "../helpers/cli.js";
import { cliFrom, repoRoot } from "../helpers/paths.js";

const cli = cliFrom(import.meta.url);
const spec = join(repoRoot(), "specs", "esmm.mtl");
const { dir } = tempDir("native-blas-cli");
const train = (out: string, env: NodeJS.ProcessEnv) =>
  runCli(cli, ["train", spec, "--data", "train.csv", "--out", out, "--max-steps", "2"], { cwd: dir, env });

describe("MTL_BLAS", () => {
  before(() => {
    const generated = runCli(cli, ["generate", "esmm", "--rows", "400", "-o", "train.csv"], { cwd: dir });
    assert.equal(generated.status, 0, generated.stderr);
  });

  test("a BLAS that was named and cannot load stops the run with the fix, before writing anything", () => {
    const result = train("model-missing", { MTL_BLAS: "/nonexistent/libopenblas.so.0" });
    assertNoCrash(result, "train with a missing MTL_BLAS");
    assert.equal(result.status, 2, result.stderr);
    const lines = result.stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("backend:") && l !== "(add --help for usage)");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^mtl: MTL_BLAS=\/nonexistent\/libopenblas\.so\.0 could not be used/);
    assert.match(lines[0]!, /unset MTL_BLAS/);
    assert.ok(!existsSync(join(dir, "model-missing")), "no model folder");
  });

  test("MTL_BLAS=off trains on XNNPACK and the backend line does not claim a BLAS", () => {
    const result = train("model-off", { MTL_BLAS: "off" });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /^backend: wasm\b/m);
    assert.doesNotMatch(result.stderr, /matrix products on/);
  });

  test("by default the backend line names the OpenBLAS it found, on the cores available, or none", () => {
    const result = train("model-default", { MTL_BLAS: "", MTL_BLAS_THREADS: "" });
    assert.equal(result.status, 0, result.stderr);
    const found = loadNativeBlas({});
    if (found.blas !== null) {
      const cores = availableCores();
      assert.match(result.stderr, new RegExp(`^backend: wasm .*, matrix products on ${escaped(found.blas.library)}, ${cores} threads?${forced(found.blas.library)}$`, "m"));
    } else {
      assert.doesNotMatch(result.stderr, /matrix products on/);
    }
  });

  test("mtl train --threads N puts the BLAS on N threads, over MTL_BLAS_THREADS", (t) => {
    const found = loadNativeBlas({});
    if (found.blas === null) return t.skip(found.why);
    const result = runCli(cli, ["train", spec, "--data", "train.csv", "--out", "model-threads", "--max-steps", "2", "--threads", "3"], { cwd: dir, env: { MTL_BLAS_THREADS: "1" } });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`^backend: wasm .*, matrix products on ${escaped(found.blas.library)}, 3 threads${forced(found.blas.library)}$`, "m"));
  });
});

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** What the backend line adds where the environment forces OpenBLAS's kernels (this machine's does), as a pattern. */
const forced = (library: string): string => {
  const core = process.env["OPENBLAS_CORETYPE"];
  return core && /openblas/i.test(library) ? escaped(` (kernels forced by OPENBLAS_CORETYPE=${core})`) : "";
};
