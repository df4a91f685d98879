/**
 * TF.js's seeded RandomUniform initializer, computed in one tight loop.
 *
 * tf.randomUniform draws through seedrandom's Alea generator, one closure
 * call and one TensorBuffer store per element: about a second for the 41.6M
 * values of 26 tables of 100,000 x 16. This is the same generator (Baagoe's
 * Alea, seeded by Mash from the seed's decimal string, as tfjs's
 * UniformRandom seeds it) with its state in locals, run on integers in
 * WebAssembly (alea-wasm.ts: 60 ms for those 41.6M values, against 350 ms
 * for the same loop in JavaScript, which remains where WebAssembly cannot
 * run), so it draws exactly the same float32 values
 * (test/runtime/graph/seeded-uniform.test.ts compares them bit for bit). The class reports itself as "RandomUniform" with
 * RandomUniform's config, so a saved model's JSON is the same and loads
 * with tfjs's own class.
 */
import * as tf from "#tfjs";
import { unfilledFloat32, writableRows } from "../backend/tensor-memory.js";
import { ALEA_CHUNK, aleaWasm } from "./alea-wasm.js";

/** seedrandom's Mash, as Alea's seeding uses it: a hash of strings into [0, 1), stateful across calls. */
function mash(): (data: string) => number {
  let n = 0xefc8249d;
  return (data) => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000;
    }
    return (n >>> 0) * 2.3283064365386963e-10;
  };
}

/** `count` values uniform in [minval, maxval): tf.randomUniform(shape, minval, maxval, "float32", seed)'s values. */
export function seededUniform(count: number, minval: number, maxval: number, seed: number): Float32Array {
  return seededUniformInto(new Float32Array(count), minval, maxval, seed);
}

/** seededUniform's values written into `values` (all of it), which is returned. */
export function seededUniformInto(values: Float32Array, minval: number, maxval: number, seed: number): Float32Array {
  const hash = mash();
  const key = seed.toString();
  let s0 = hash(" ");
  let s1 = hash(" ");
  let s2 = hash(" ");
  s0 -= hash(key);
  if (s0 < 0) s0 += 1;
  s1 -= hash(key);
  if (s1 < 0) s1 += 1;
  s2 -= hash(key);
  if (s2 < 0) s2 += 1;
  const range = maxval - minval;
  const alea = aleaWasm();
  if (alea === null) return drawInto(values, minval, range, s0, s1, s2);
  // The same generator on integers (alea-wasm.ts): each s is a multiple of 2^-32, the carry starts at 1.
  alea.state.set([BigInt(s0 * 2 ** 32), BigInt(s1 * 2 ** 32), BigInt(s2 * 2 ** 32), 1n]);
  for (let from = 0; from < values.length; from += ALEA_CHUNK) {
    const count = Math.min(ALEA_CHUNK, values.length - from);
    alea.draw(count, minval, range);
    values.set(count === ALEA_CHUNK ? alea.values : alea.values.subarray(0, count), from);
  }
  return values;
}

/** Alea in doubles, as seedrandom computes it, from the seeded state (s0, s1, s2) and carry 1. */
function drawInto(values: Float32Array, minval: number, range: number, s0: number, s1: number, s2: number): Float32Array {
  let c = 1;
  const count = values.length;
  for (let i = 0; i < count; i++) {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    c = t | 0;
    s2 = t - c;
    values[i] = minval + range * s2;
  }
  return values;
}

type TfInitializer = ReturnType<typeof tf.initializers.randomUniform>;
type RandomUniformArgs = Parameters<typeof tf.initializers.randomUniform>[0];

/** tfjs's RandomUniform class (the package exports only its factory). */
const RandomUniform = tf.initializers.randomUniform({}).constructor as new (args: RandomUniformArgs) => TfInitializer & {
  minval: number;
  maxval: number;
  seed?: number;
};

/**
 * tfjs's RandomUniform (its class name, its config, its `args.minval ||
 * -0.05` defaults), drawing through seededUniform when it has a seed.
 */
export class SeededRandomUniform extends RandomUniform {
  constructor(args: { minval: number; maxval: number; seed: number }) {
    super(args);
  }

  override apply(shape: tf.Shape, dtype?: tf.DataType): tf.Tensor {
    if (this.seed === undefined || (dtype !== undefined && dtype !== "float32")) return tf.randomUniform(shape as number[], this.minval, this.maxval, dtype, this.seed);
    const dims = shape.map((d) => d ?? 1);
    // Drawn straight into the tensor's own storage where the backend exposes it: a table of 41.6M weights
    // otherwise passes through a JavaScript array of its size and a copy into the backend (over a second, measured).
    const tensor = unfilledFloat32(dims);
    if (tensor !== null) {
      const storage = writableRows(tensor);
      if (storage !== null) {
        seededUniformInto(storage, this.minval, this.maxval, this.seed);
        return tensor;
      }
      tensor.dispose();
    }
    return tf.tensor(seededUniform(dims.reduce((a, b) => a * b, 1), this.minval, this.maxval, this.seed), dims, "float32");
  }
}
