/**
 * `mtl train` says which train step runs: the fused step where it can
 * (src/runtime/fused/support.ts), else the plain one and the first reason.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { loadNativeBlas } from "../../src/runtime/backend/blas/native-blas.js";
import { runCli, tempDir } from "../helpers/cli.js";
import { cliFrom, repoRoot } from "../helpers/paths.js";

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("train-step-cli");
const train = (spec: string, out: string, env: NodeJS.ProcessEnv = {}) =>
  runCli(cli, ["train", join(repoRoot(), "specs", spec), "--data", "train.csv", "--out", out, "--max-steps", "3"], { cwd: dir, env });

describe("the train step line", () => {
  before(() => {
    const generated = runCli(cli, ["generate", "esmm", "--rows", "400", "-o", "train.csv"], { cwd: dir });
    assert.equal(generated.status, 0, generated.stderr);
  });

  test("mmoe.mtl trains on the fused step where a native BLAS is present; MTL_FUSED=off and MTL_BLAS=off take the plain one and say why", (t) => {
    const blas = loadNativeBlas({});
    if (blas.blas === null) return t.skip(blas.why);
    const fused = train("mmoe.mtl", "fused");
    assert.equal(fused.status, 0, fused.stderr);
    assert.match(fused.stderr, /^train step: fused$/m);
    const off = train("mmoe.mtl", "off", { MTL_FUSED: "off" });
    assert.equal(off.status, 0, off.stderr);
    assert.match(off.stderr, /^train step: plain \(turned off by MTL_FUSED\)$/m);
    const noBlas = train("mmoe.mtl", "no-blas", { MTL_BLAS: "off" });
    assert.equal(noBlas.status, 0, noBlas.stderr);
    assert.match(noBlas.stderr, /^train step: plain \(no native BLAS for the matrix products\)$/m);
  });
});
