import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { wasmMatMulStatus } from "../../../src/runtime/backend/wasm-backend.js";

/** The expectations depend on whether this machine has tfjs-node. */
function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
}

test("with no preference, picks wasm when tfjs-node is absent and says why", async () => {
  const selection = await selectBackend();
  if (tfjsNodeInstalled()) {
    assert.equal(selection.name, "node");
    assert.equal(tf.getBackend(), "tensorflow");
  } else {
    assert.equal(selection.name, "wasm");
    // The note after it names the native BLAS for matrix products, when there is one.
    assert.match(selection.reason, /^wasm \(tfjs-node not installed\)(, matrix products on \S+, \d+ threads?( \(kernels forced by OPENBLAS_CORETYPE=\S+\))?)?$/);
    assert.equal(selection.reason.includes("matrix products"), wasmMatMulStatus()?.blas != null);
    assert.equal(tf.getBackend(), "wasm");
  }
  assert.ok(!selection.reason.includes("\n"), "reason is one line");
});

test("a second call returns the same answer without re-initialising", async () => {
  const first = await selectBackend();
  const backendInstance = tf.backend();
  const started = performance.now();
  const second = await selectBackend();
  const elapsedMs = performance.now() - started;
  assert.deepEqual(second, first);
  assert.equal(tf.backend(), backendInstance, "same backend instance");
  assert.ok(elapsedMs < 50, `second call took ${elapsedMs.toFixed(1)} ms`);
});

test('selectBackend("node") throws a helpful error when tfjs-node is absent', async () => {
  if (tfjsNodeInstalled()) {
    assert.equal((await selectBackend("node")).name, "node");
    return;
  }
  const before = tf.getBackend();
  await assert.rejects(selectBackend("node"), (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.match(error.message, /Backend "node" is unavailable: tfjs-node not installed/);
    assert.match(error.message, /npm install @tensorflow\/tfjs-node/);
    assert.match(error.message, /"wasm" or "cpu"/);
    return true;
  });
  assert.equal(tf.getBackend(), before, "a failed request leaves the current backend alone");
});

test('selectBackend("cpu") switches to the cpu backend and computes', async () => {
  const selection = await selectBackend("cpu");
  assert.deepEqual(selection, { name: "cpu", reason: "cpu (requested)" });
  assert.equal(tf.getBackend(), "cpu");
  const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync());
  assert.deepEqual(sum, [4, 6]);
});

test('selectBackend("wasm") switches back, with the training kernels installed', async () => {
  const selection = await selectBackend("wasm");
  assert.equal(selection.name, "wasm");
  assert.match(selection.reason, /^wasm \(requested\)(, matrix products on \S+, \d+ threads?( \(kernels forced by OPENBLAS_CORETYPE=\S+\))?)?$/);
  // Asked for a thread count (mtl train --threads), the BLAS takes it and the reason says so.
  const blas = wasmMatMulStatus()?.blas ?? null;
  const one = await selectBackend("wasm", { threads: 1 });
  if (blas !== null) {
    assert.match(one.reason, /, matrix products on \S+, 1 thread( \(kernels forced by OPENBLAS_CORETYPE=\S+\))?$/);
    assert.equal(blas.threads, 1);
    // An environment that forces OpenBLAS's kernels (this machine's sets Haswell's on an AVX-512 CPU) is named: it halves the products' speed.
    const saved = process.env["OPENBLAS_CORETYPE"];
    try {
      process.env["OPENBLAS_CORETYPE"] = "Haswell";
      const forced = (await selectBackend("wasm", { threads: 1 })).reason;
      delete process.env["OPENBLAS_CORETYPE"];
      const chosen = (await selectBackend("wasm", { threads: 1 })).reason;
      if (/openblas/i.test(blas.library)) assert.match(forced, /, 1 thread \(kernels forced by OPENBLAS_CORETYPE=Haswell\)$/);
      else assert.doesNotMatch(forced, /OPENBLAS_CORETYPE/);
      assert.doesNotMatch(chosen, /OPENBLAS_CORETYPE/);
    } finally {
      if (saved === undefined) delete process.env["OPENBLAS_CORETYPE"];
      else process.env["OPENBLAS_CORETYPE"] = saved;
    }
  }
  assert.equal(tf.getBackend(), "wasm");
  assert.ok(tf.getKernel("UnsortedSegmentSum", "wasm") != null);
  // The default choice is restored afterwards, whatever was requested before.
  await selectBackend("cpu");
  const again = await selectBackend();
  assert.equal(again.name, tfjsNodeInstalled() ? "node" : "wasm");
});

test("an unknown backend name is rejected with the valid choices", async () => {
  await assert.rejects(selectBackend("webgl" as never), /Unknown backend "webgl"; expected one of: node, wasm, cpu/);
});
