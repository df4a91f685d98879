import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { isMatMulOverrideInstalled } from "../../../src/runtime/backend/wasm-kernels.js";
import { loadNativeBlas, type NativeBlas } from "../../../src/runtime/backend/blas/native-blas.js";
import { SMALL_PRODUCT } from "../../../src/runtime/backend/kernels/blas-matmul.js";
import { assertClose, onBackend, pseudoRandom, referenceBlas, values, withNativeBlas } from "./helpers.js";

const TOLERANCE = 1e-4;
const FLAGS = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** Operand shapes for C = op(A)·op(B) with C of [..., m, n] and inner size k. */
function operand(batch: number[], rows: number, cols: number, transposed: boolean, seed: number): tf.Tensor {
  const shape = transposed ? [...batch, cols, rows] : [...batch, rows, cols];
  return tf.tensor(
    pseudoRandom(
      shape.reduce((p, d) => p * d, 1),
      seed,
    ),
    shape,
  );
}

interface Case {
  readonly label: string;
  readonly batchA: number[];
  readonly batchB: number[];
  /** tfjs-core's fused.matMul can't broadcast batch dims, on any backend. */
  readonly fusedToo: boolean;
}

const CASES: readonly Case[] = [
  { label: "2-D", batchA: [], batchB: [], fusedToo: true },
  { label: "batched 3-D", batchA: [3], batchB: [3], fusedToo: true },
  { label: "batched A, shared B", batchA: [2], batchB: [], fusedToo: true },
  { label: "shared A, batched B", batchA: [], batchB: [2], fusedToo: true },
  { label: "4-D broadcast batch", batchA: [2, 1], batchB: [1, 3], fusedToo: false },
];

const ACTIVATIONS = ["linear", "relu", "sigmoid", "elu", "relu6", "leakyrelu", "prelu"] as const;

/**
 * Every case runs on each engine the replacements can hand products to:
 * XNNPACK, a JS sgemm (the native-BLAS path's own logic, on any machine) and
 * the machine's OpenBLAS.
 */
function defineCases(engine: string, blas: NativeBlas | null): void {
  const onWasm = <T>(compute: () => T | Promise<T>): Promise<T> =>
    withNativeBlas(blas, () => onBackend("wasm", compute));

  async function compareAcrossBackends(label: string, compute: () => number[][]): Promise<void> {
    const wasmResult = await onWasm(() => {
      assert.ok(isMatMulOverrideInstalled(), "override is installed on wasm");
      return compute();
    });
    const onCpu = await onBackend("cpu", compute);
    wasmResult.forEach((actual, i) => assertClose(actual, onCpu[i]!, TOLERANCE, `${label} output ${i}`));
  }

  for (const { label, batchA, batchB, fusedToo } of CASES) {
    for (const [transposeA, transposeB] of FLAGS) {
      const name = `${label}, transposeA=${transposeA}, transposeB=${transposeB}`;

      test(`${engine}: matMul ${name} matches cpu`, async () => {
        // Products below and above SMALL_PRODUCT multiply-adds: the native-BLAS path computes the first in JavaScript.
        for (const [m, k, n] of [[5, 7, 6], [17, 13, 11]] as const) {
          assert.equal(m * k * n > SMALL_PRODUCT, m === 17);
          await compareAcrossBackends(`${name}, ${m}x${k}x${n}`, () => {
            const a = operand(batchA, m, k, transposeA, 21);
            const b = operand(batchB, k, n, transposeB, 22);
            return [values(tf.matMul(a, b, transposeA, transposeB))];
          });
        }
      });

      test(`${engine}: matMul ${name} with inner size 1 (an outer product) matches a broadcast product on cpu`, async () => {
        // Not cpu's matMul: with broadcast batch dims and inner size 1 it returns half the values (tfjs 4.22).
        const compute = (viaMul: boolean) => () => {
          const a = operand(batchA, 5, 1, transposeA, 31);
          const b = operand(batchB, 1, 6, transposeB, 32);
          if (!viaMul) return [values(tf.matMul(a, b, transposeA, transposeB))];
          const column = transposeA ? tf.reshape(a, [...batchA, 5, 1]) : a;
          const row = transposeB ? tf.reshape(b, [...batchB, 1, 6]) : b;
          return [values(tf.mul(column, row))];
        };
        const wasmResult = await onWasm(compute(false));
        const onCpu = await onBackend("cpu", compute(true));
        assertClose(wasmResult[0]!, onCpu[0]!, TOLERANCE, name);
      });

      if (!fusedToo) continue;

      test(`${engine}: fused matMul ${name} with bias and each activation matches cpu`, async () => {
        await compareAcrossBackends(name, () => {
          const a = operand(batchA, 5, 7, transposeA, 23);
          const b = operand(batchB, 7, 6, transposeB, 24);
          const bias = tf.tensor1d(pseudoRandom(6, 25));
          const alphas = tf.tensor1d(pseudoRandom(6, 26).map((v) => Math.abs(v) * 0.3));
          return ACTIVATIONS.map((activation) =>
            values(
              tf.fused.matMul({
                a,
                b,
                transposeA,
                transposeB,
                bias,
                activation,
                ...(activation === "prelu" ? { preluActivationWeights: alphas } : {}),
                ...(activation === "leakyrelu" ? { leakyreluAlpha: 0.15 } : {}),
              }),
            ),
          );
        });
      });
    }
  }

  test(`${engine}: fused matMul with a bias or prelu weights not shaped [N] matches cpu`, async () => {
    // The stock wasm kernel rejects a bias that isn't rank 1 and adds a [1]
    // bias to column 0 only.
    for (const [transposeA, transposeB] of FLAGS) {
      await compareAcrossBackends(`bias shapes, transposeA=${transposeA}, transposeB=${transposeB}`, () => {
        const a = operand([], 5, 7, transposeA, 27);
        const b = operand([], 7, 6, transposeB, 28);
        const biases = [
          tf.scalar(0.5),
          tf.tensor1d([0.5]),
          tf.tensor2d(pseudoRandom(6, 29), [1, 6]),
          tf.tensor2d(pseudoRandom(30, 30), [5, 6]),
        ];
        const alphas = [tf.tensor1d([0.25]), tf.tensor2d(pseudoRandom(30, 31), [5, 6])];
        return [
          ...biases.map((bias) => values(tf.fused.matMul({ a, b, transposeA, transposeB, bias, activation: "relu" }))),
          ...alphas.map((preluActivationWeights) =>
            values(tf.fused.matMul({ a, b, transposeA, transposeB, activation: "prelu", preluActivationWeights })),
          ),
        ];
      });
    }
  });

  test(`${engine}: gradients of a fused dense layer (which use transposed matMuls) match cpu`, async () => {
    await compareAcrossBackends("fused dense gradients", () => {
      const x = tf.tensor2d(pseudoRandom(32 * 12, 31), [32, 12]);
      const w = tf.tensor2d(pseudoRandom(12 * 9, 32), [12, 9]);
      const bias = tf.tensor1d(pseudoRandom(9, 33));
      const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        tf.fused
          .matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb, activation: "relu" })
          .square()
          .sum(),
      )([x, w, bias]);
      return grads.map(values);
    });
  });

  test(`${engine}: a dense-layer model trained one Adam step matches cpu`, async () => {
    await compareAcrossBackends("dense model", () => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [10], units: 16, activation: "relu" }),
          tf.layers.dense({ units: 8, activation: "sigmoid" }),
          tf.layers.dense({ units: 1 }),
        ],
      });
      model.setWeights(model.getWeights().map((w, i) => tf.tensor(pseudoRandom(w.size, 40 + i), w.shape)));
      const x = tf.tensor2d(pseudoRandom(24 * 10, 50), [24, 10]);
      const y = tf.tensor2d(pseudoRandom(24, 51), [24, 1]);
      const optimizer = tf.train.adam(0.01);
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      optimizer.minimize(() => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar, false, variables);
      const after = model.getWeights().map(values);
      optimizer.dispose();
      model.dispose();
      return after;
    });
  });

  test(`${engine}: the override keeps shape errors from the matMul op`, async () => {
    await onWasm(() => {
      assert.throws(() => tf.matMul(tf.ones([2, 3]), tf.ones([2, 3]), true, true), /inner shapes/);
    });
  });

  test(`${engine}: one operand transposed for many products (as a shared input is for each expert's gradient) matches cpu`, async () => {
    await compareAcrossBackends("shared transposed operand", () => {
      const x = operand([], 6, 5, false, 40); // [6, 5], read as xᵀ
      const reshaped = tf.reshape(x, [1, 6, 5]); // same storage, another shape
      const out: number[][] = [];
      for (let i = 0; i < 7; i++) {
        const dy = operand([], 6, 3, false, 41 + i);
        out.push(values(tf.matMul(x, dy, true, false)));
        // Other transposes in between push x's out of a small cache and back.
        const w = operand([], 4, 3, false, 60 + i);
        out.push(values(tf.matMul(dy, w, false, true)));
        out.push(values(tf.matMul(reshaped, tf.reshape(dy, [1, 6, 3]), true, false)));
      }
      return out;
    });
  });
}

defineCases("XNNPACK", null);
defineCases("JS sgemm", referenceBlas);
const openBlas = loadNativeBlas({});
if (openBlas.blas !== null) {
  defineCases("OpenBLAS", openBlas.blas);
} else if (process.env["CI"] !== undefined) {
  // .ci/run installs OpenBLAS, so CI always exercises the native path.
  test("OpenBLAS is present in CI", () => assert.fail(`the native BLAS path is untested: ${openBlas.why}`));
} else {
  test("OpenBLAS cases", { skip: `not run here: ${openBlas.why}` }, () => {});
}
