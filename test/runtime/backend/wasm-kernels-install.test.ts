import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import {
  installMatMulOverride,
  installWasmKernels,
  isMatMulOverrideInstalled,
  uninstallMatMulOverride,
} from "../../../src/runtime/backend/wasm-kernels.js";
import { assertClose, onBackend, pseudoRandom, values, withNativeBlas } from "./helpers.js";

const ADDED_KERNELS = [
  "UnsortedSegmentSum",
  "Conv2DBackpropFilter",
  "DepthwiseConv2dNativeBackpropFilter",
  "DepthwiseConv2dNativeBackpropInput",
  "Einsum",
];

test("installWasmKernels is idempotent: a second call changes no registration", async () => {
  await onBackend("wasm", () => {
    installWasmKernels();
    const names = [...ADDED_KERNELS, "BatchMatMul", "_FusedMatMul"];
    const before = names.map((name) => tf.getKernel(name, "wasm"));
    assert.ok(
      before.every((config) => config != null),
      "all kernels registered",
    );
    installWasmKernels();
    installWasmKernels();
    names.forEach((name, i) => assert.equal(tf.getKernel(name, "wasm"), before[i], name));
    assert.ok(isMatMulOverrideInstalled());
  });
});

test("the matMul override can be removed and put back", async () => {
  await onBackend("wasm", () => {
    const overridden = tf.getKernel("BatchMatMul", "wasm");
    uninstallMatMulOverride();
    try {
      assert.ok(!isMatMulOverrideInstalled());
      assert.notEqual(tf.getKernel("BatchMatMul", "wasm"), overridden);
      uninstallMatMulOverride(); // idempotent
      // The stock kernels still work after being put back.
      assert.deepEqual(tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).arraySync(), [
        [3, 3],
        [3, 3],
      ]);
    } finally {
      installMatMulOverride();
    }
    assert.ok(isMatMulOverrideInstalled());
  });
});

test("with the override, the stock kernel only ever sees untransposed single matrices", async () => {
  // Stand a recording wrapper in for the stock kernels, then let the override wrap it.
  const seen: { kernel: string; transposeA: unknown; transposeB: unknown; aShape: number[]; bShape: number[] }[] = [];
  // With a native BLAS the stock kernels would see nothing at all.
  await withNativeBlas(null, () => onBackend("wasm", () => {
    uninstallMatMulOverride();
    const stock = ["BatchMatMul", "_FusedMatMul"].map((name) => tf.getKernel(name, "wasm"));
    try {
      for (const config of stock) {
        tf.unregisterKernel(config.kernelName, "wasm");
        tf.registerKernel({
          ...config,
          kernelFunc: (args) => {
            seen.push({
              kernel: config.kernelName,
              transposeA: args.attrs?.["transposeA"],
              transposeB: args.attrs?.["transposeB"],
              aShape: args.inputs["a"]!.shape,
              bShape: args.inputs["b"]!.shape,
            });
            return config.kernelFunc(args);
          },
        });
      }
      installMatMulOverride();
      const x = tf.tensor3d(pseudoRandom(2 * 8 * 4, 1), [2, 8, 4]);
      const w = tf.tensor2d(pseudoRandom(4 * 3, 2), [4, 3]);
      const bias = tf.tensor1d([0.1, 0.2, 0.3]);
      tf.matMul(tf.reshape(x, [16, 4]), tf.reshape(x, [16, 4]), true, false);
      tf.matMul(tf.reshape(x, [16, 4]), tf.transpose(w), false, true);
      tf.fused.matMul({ a: x, b: w, bias, activation: "relu" });
      tf.fused.matMul({ a: tf.transpose(tf.reshape(x, [16, 4])), b: w, transposeA: true, bias });
    } finally {
      uninstallMatMulOverride();
      for (const config of stock) {
        tf.unregisterKernel(config.kernelName, "wasm");
        tf.registerKernel(config);
      }
      installMatMulOverride();
    }
  }));
  assert.equal(seen.length, 4);
  for (const call of seen) {
    assert.equal(call.transposeA, false, `${call.kernel} transposeA`);
    assert.equal(call.transposeB, false, `${call.kernel} transposeB`);
    assert.equal(
      call.aShape.slice(0, -2).reduce((p, d) => p * d, 1),
      1,
      `${call.kernel} a is one matrix`,
    );
    assert.equal(
      call.bShape.slice(0, -2).reduce((p, d) => p * d, 1),
      1,
      `${call.kernel} b is one matrix`,
    );
  }
  assert.deepEqual(seen[2]!.aShape, [1, 16, 4], "batched rows folded into one matrix");
});

test("kernels delegated to cpu (conv2d and depthwise gradients, einsum) match cpu", async () => {
  const compute = (): number[][] => {
    const input = tf.tensor4d(pseudoRandom(2 * 5 * 5 * 3, 3), [2, 5, 5, 3]);
    const filter = tf.tensor4d(pseudoRandom(3 * 3 * 3 * 4, 4), [3, 3, 3, 4]);
    const depthFilter = tf.tensor4d(pseudoRandom(3 * 3 * 3 * 2, 5), [3, 3, 3, 2]);
    const convGrads = tf.grads((x: tf.Tensor, f: tf.Tensor) =>
      tf
        .conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, "same")
        .square()
        .sum(),
    )([input, filter]);
    const depthGrads = tf.grads((x: tf.Tensor, f: tf.Tensor) =>
      tf
        .depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, "same")
        .square()
        .sum(),
    )([input, depthFilter]);
    const a = tf.tensor3d(pseudoRandom(2 * 3 * 4, 6), [2, 3, 4]);
    const b = tf.tensor3d(pseudoRandom(2 * 4 * 5, 7), [2, 4, 5]);
    return [...convGrads, ...depthGrads, tf.einsum("bij,bjk->bik", a, b)].map(values);
  };
  const onWasm = await onBackend("wasm", compute);
  const onCpu = await onBackend("cpu", compute);
  onWasm.forEach((actual, i) => assertClose(actual, onCpu[i]!, 1e-4, `output ${i}`));
});
