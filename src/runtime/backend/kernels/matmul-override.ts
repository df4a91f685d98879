import * as tf from "#tfjs";
import { isWasmKernelOverridden, overrideWasmKernel, restoreWasmKernel } from "./override.js";
import type { NativeBlas } from "../blas/native-blas.js";
import { blasMatMul } from "./blas-matmul.js";
import { type Activation, epilogue } from "./matmul-epilogue.js";
import { disposeAll, runWasmKernel } from "./run-kernel.js";

/**
 * Replacement BatchMatMul and _FusedMatMul kernels for the wasm backend.
 *
 * The stock kernels reach XNNPACK's fast fully-connected operator only when
 * neither operand is transposed and both are single matrices; anything else
 * runs a generic blocked loop that is 10-30x slower. Every dense layer's
 * backward pass multiplies by a transposed operand (dX = dY·Wᵀ, dW = Xᵀ·dY),
 * so training spends most of its time in that loop. The replacements:
 *
 * - transpose a flagged operand explicitly with the Transpose kernel (one
 *   memory pass) and call the stock kernel without transpose flags;
 * - fold a stack of left operands sharing one right operand ([..., M, K] x
 *   [K, N], e.g. a dense layer on 3-D input) into one [B·M, K] matrix, which
 *   is a free reshape and also takes the fast path;
 * - compute a product with inner size 1 (an outer product, as in the
 *   gradient of a gate's mix) as a broadcast Multiply, which the stock loop
 *   does 20x slower;
 * - leave other stacks of right operands to the stock loop (nothing to gain
 *   from transposing there).
 *
 * They also fix the stock _FusedMatMul's bias outside the fast path: the loop
 * adds bias[min(i·N + j, N - 1)] instead of bias[j], so every row after the
 * first gets bias[N-1]. Where that path, or a bias not shaped [N] (which the
 * stock kernel rejects or misreads), would be needed, the product is computed
 * without bias and the bias and activation are applied by their own kernels.
 */
const MATMUL_KERNELS = ["BatchMatMul", "_FusedMatMul"] as const;
type MatMulKernelName = (typeof MATMUL_KERNELS)[number];

/** Installs the replacements. Idempotent; skips kernels wasm hasn't registered. */
export function installMatMulOverride(): void {
  for (const kernelName of MATMUL_KERNELS) overrideWasmKernel(kernelName, (original) => fastMatMul(kernelName, original));
}

/** Restores the stock kernels (for benchmarks and comparisons). Idempotent. */
export function uninstallMatMulOverride(): void {
  for (const kernelName of MATMUL_KERNELS) restoreWasmKernel(kernelName);
}

export function isMatMulOverrideInstalled(): boolean {
  return MATMUL_KERNELS.every(isWasmKernelOverridden);
}

/** The native BLAS the replacements hand products to, if any (see native-blas.ts). */
let nativeBlas: NativeBlas | null = null;

/** Routes products through `blas` (null: back to XNNPACK). Takes effect with the override installed. */
export function useNativeBlas(blas: NativeBlas | null): void {
  nativeBlas = blas;
}

export function activeNativeBlas(): NativeBlas | null {
  return nativeBlas;
}

function fastMatMul(kernelName: MatMulKernelName, original: tf.KernelFunc): tf.KernelFunc {
  const fused = kernelName === "_FusedMatMul";
  return ({ inputs, backend, attrs = {} }) => {
    const { a, b } = inputs;
    if (a == null || b == null) throw new Error(`${kernelName} expects inputs a and b`);
    const bias = fused ? inputs["bias"] : undefined;
    const preluWeights = fused ? inputs["preluActivationWeights"] : undefined;
    const transposeA = attrs["transposeA"] === true;
    const transposeB = attrs["transposeB"] === true;
    const activation = (fused ? (attrs["activation"] ?? "linear") : "linear") as Activation;

    const innerA = a.shape[a.shape.length - (transposeA ? 2 : 1)]!;
    const innerB = b.shape[b.shape.length - (transposeB ? 1 : 2)]!;
    if (innerA !== innerB) {
      // The op doesn't check this; the stock kernel did, and our reshapes below would hide it.
      throw new Error(
        `Error in matMul: inner shapes (${innerA}) and (${innerB}) of Tensors with shapes ${a.shape} and ` +
          `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
      );
    }
    if (nativeBlas !== null) {
      const out = blasMatMul(nativeBlas, a, b, transposeA, transposeB, bias, activation, preluWeights, attrs, backend);
      if (out !== null) return out;
    }
    const n = b.shape[b.shape.length - (transposeB ? 2 : 1)]!;
    // The stock kernel rejects a bias of rank != 1 and applies a [1] bias to
    // column 0 only; a per-column [N] vector is the one shape it gets right.
    const fusable = bias == null || (bias.shape.length === 1 && bias.shape[0] === n);
    const aBatch = tf.util.sizeFromShape(a.shape.slice(0, -2));
    const bBatch = tf.util.sizeFromShape(b.shape.slice(0, -2));

    if (!transposeA && !transposeB && aBatch === 1 && bBatch === 1 && fusable) {
      return original({ inputs, backend, attrs });
    }
    if (innerA === 1 && bias == null && activation === "linear") {
      return outerProduct(a, b, transposeA, transposeB, backend);
    }

    const temporaries: tf.TensorInfo[] = [];
    try {
      if (bBatch > 1) {
        // Stock loop: correct for transposes, batches and broadcasting; only
        // the bias it adds is wrong, and activations need bias first.
        if (bias == null && fusable) return original({ inputs, backend, attrs });
        const product = original({
          inputs: { a, b },
          backend,
          attrs: fused ? { ...attrs, activation: "linear" } : attrs,
        });
        return epilogue(product as tf.TensorInfo, bias, activation, preluWeights, attrs, backend, temporaries);
      }

      const plainA = transposeA ? recentTransposes.get(a, backend) : a;
      const plainB = transposeB ? recentTransposes.get(b, backend) : b;
      const m = plainA.shape[plainA.shape.length - 2]!;
      const k = plainA.shape[plainA.shape.length - 1]!;
      // Rows of every left matrix meet the same right matrix: one big matrix.
      // Same dataId, new shape: row-major storage makes this a free reshape.
      const rows: tf.TensorInfo = { dataId: plainA.dataId, dtype: plainA.dtype, shape: [1, aBatch * m, k] };
      const weights: tf.TensorInfo = { dataId: plainB.dataId, dtype: plainB.dtype, shape: [1, k, n] };
      const outShape = [
        ...tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)),
        m,
        n,
      ];
      const plainAttrs = { ...attrs, transposeA: false, transposeB: false };

      if (fusable) {
        const out = original({
          inputs: { ...inputs, a: rows, b: weights },
          backend,
          attrs: plainAttrs,
        }) as tf.TensorInfo;
        out.shape = outShape;
        return out;
      }
      const product = original({
        inputs: { a: rows, b: weights },
        backend,
        attrs: fused ? { ...plainAttrs, activation: "linear" } : plainAttrs,
      }) as tf.TensorInfo;
      product.shape = outShape;
      return epilogue(product, bias, activation, preluWeights, attrs, backend, temporaries);
    } finally {
      disposeAll(backend, temporaries);
    }
  };
}

/**
 * The last few transposed operands, by the storage and shape they came from.
 * A layer's input is transposed for its weight gradient by every layer that
 * reads it: 8 experts and 2 gates on one shared input make 10 identical
 * transposes per step, each nearly as slow as the product itself. TF.js
 * never changes a tensor's storage once written (the in-place sparse update
 * touches embedding tables only, which no product reads untransformed), so
 * storage identity and shape determine the result.
 */
class TransposeCache {
  private readonly entries = new Map<string, { result: tf.TensorInfo; backend: {} }>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 0;

  constructor(private readonly capacity: number) {
    if (capacity < 1) throw new Error("TransposeCache needs room for at least the transpose it returns");
  }

  get(x: tf.TensorInfo, backend: {}): tf.TensorInfo {
    const key = `${this.idOf(x.dataId)}:${x.shape.join("x")}`;
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.backend === backend) {
      // Refresh: most recently used last.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.result;
    }
    if (hit !== undefined) this.entries.delete(key);
    const result = swapInnerDims(x, backend);
    this.entries.set(key, { result, backend });
    while (this.entries.size > this.capacity) {
      const [oldest, entry] = this.entries.entries().next().value as [string, { result: tf.TensorInfo; backend: {} }];
      this.entries.delete(oldest);
      disposeAll(entry.backend, [entry.result]);
    }
    return result;
  }

  private idOf(dataId: tf.DataId): number {
    let id = this.ids.get(dataId as object);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(dataId as object, id);
    }
    return id;
  }
}

/** Enough for a layer's input and its output gradient, across a few layers. */
const recentTransposes = new TransposeCache(4);

function swapInnerDims(x: tf.TensorInfo, backend: {}): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return runWasmKernel("Transpose", { x }, backend, { perm });
}

/**
 * op(A)·op(B) for an inner size of 1: A as [..., m, 1] times B as [..., 1, n],
 * broadcast. Moving a size-1 axis is a free reshape in row-major storage.
 */
function outerProduct(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean, backend: {}): tf.TensorInfo {
  const m = a.shape[a.shape.length - (transposeA ? 1 : 2)]!;
  const n = b.shape[b.shape.length - (transposeB ? 2 : 1)]!;
  const column: tf.TensorInfo = { dataId: a.dataId, dtype: a.dtype, shape: [...a.shape.slice(0, -2), m, 1] };
  const row: tf.TensorInfo = { dataId: b.dataId, dtype: b.dtype, shape: [...b.shape.slice(0, -2), 1, n] };
  return runWasmKernel("Multiply", { a: column, b: row }, backend);
}

