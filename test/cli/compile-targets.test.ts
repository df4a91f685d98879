import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertNoCrash, assertUsageError, runCli, tempDir } from "../helpers/cli.js";
import { chainSpec } from "../helpers/chain-spec.js";
import { cliFrom, repoRoot } from "../helpers/paths.js";

const CLI = cliFrom(import.meta.url);
const ESMM = join(repoRoot(), "specs", "esmm.mtl");

test("compile --target ts prints a typed module with the predict API", () => {
  const result = runCli(CLI, ["compile", ESMM, "--target", "ts"]);
  assertNoCrash(result, "ts");
  assert.equal(result.status, 0, result.stderr);
  for (const part of ['from "@tensorflow/tfjs"', "export interface Input", "export interface Output", "export function buildModel", "export async function loadWeights", "export function predict"]) {
    assert.ok(result.stdout.includes(part), `missing ${part}`);
  }
  const node = runCli(CLI, ["compile", ESMM, "--target", "ts", "--tfjs-node"]);
  assert.ok(node.stdout.includes('from "@tensorflow/tfjs-node"'));
});

test("compile --target svg and dot write pictures; --model must be a trained model folder", () => {
  const dir = tempDir("targets");
  const svg = join(dir.dir, "esmm.svg");
  const result = runCli(CLI, ["compile", ESMM, "--target", "svg", "-o", svg]);
  assert.equal(result.status, 0, result.stderr);
  const text = readFileSync(svg, "utf8");
  assert.match(text, /<svg[\s>]/);
  for (const name of ["ctr", "cvr", "ctcvr", "user_id"]) assert.ok(text.includes(name), name);
  const dot = runCli(CLI, ["compile", ESMM, "--emit", "dot"]);
  assert.match(dot.stdout, /^digraph /);
  assertUsageError(runCli(CLI, ["compile", ESMM, "--target", "ts", "--model", join(dir.dir, "nowhere")]), "--model without a model", /encoding\.json/);
});

test("compile --target svg refuses a picture too large for Graphviz with one line, exit 1, and writes nothing", () => {
  // A chain of 20,000 towers overflowed Graphviz's stack ("internal error", exit 70).
  const dir = tempDir("svg-limit");
  const spec = join(dir.dir, "chain.mtl");
  writeFileSync(spec, chainSpec("towers", 3_000));
  const out = join(dir.dir, "chain.svg");
  const result = runCli(CLI, ["compile", spec, "--target", "svg", "-o", out]);
  assertNoCrash(result, "svg of a long chain");
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stderr, /^mtl: error: the picture of model 'm' is too large for the svg target: .*stops at 1,000, .*'--target dot'.*\n$/);
  assert.equal(result.stderr.split("\n").length, 2);
  assert.equal(existsSync(out), false);
  assert.equal(runCli(CLI, ["compile", spec, "--target", "dot"]).status, 0);
});

test("compile --target torch prints no TensorFlow.js \"install tfjs-node\" banner", () => {
  // The layout capture ran on the cpu backend before it was silenced (tf.getBackend() is undefined until the first op).
  const dir = tempDir("torch-banner");
  const result = runCli(CLI, ["compile", ESMM, "--target", "torch", "-o", join(dir.dir, "pkg")]);
  assert.equal(result.status, 0, result.stderr);
  assert.doesNotMatch(result.stdout + result.stderr, /tfjs-node|=====/);
  assert.match(result.stdout + result.stderr, /wrote the PyTorch package/);
});
