/**
 * Optimiser updates of the embedding rows a batch touched, and of no others.
 *
 * Dense updates of a 100,000 x 16 table touch 1.6 million values per step
 * for the 1,024 rows a batch reads. The rules below apply the optimiser's own
 * formula (as TF.js writes it, so that a row updated here gets the value the
 * dense optimiser would give it) to the touched rows only:
 *
 *   sgd      exactly the dense update: an untouched row has zero gradient.
 *   adagrad  exactly the dense update too: a zero gradient changes neither
 *            the accumulator nor the row.
 *   adam     "lazy Adam" (TensorFlow's LazyAdamOptimizer): moments of a row
 *            decay only when the row is read, while dense Adam keeps moving
 *            untouched rows on stale momentum. The bias correction uses the
 *            global step, as dense Adam does. Identical to dense Adam on the
 *            first step, and on every row a batch touches at every step.
 * Momentum SGD and RMSprop have no such accepted sparse form; tables then
 * take the dense path.
 */
import type { OptimizerIR } from "../../ir/types.js";
import { prefetchRows } from "../../util/prefetch.js";
import { adamKernelsFor, type AdamFactors } from "./adam-wasm.js";
import { slotStart } from "./slot-rows.js";

/** The gradient of one table at the batch's distinct rows. */
export interface RowGradients {
  /** Distinct row indices into the table. */
  rows: Int32Array;
  /** rows.length x dim values, row-major, in the order of `rows`. */
  values: Float32Array;
}

export interface SparseRule {
  /** Optimiser slots per table value (Adam: 2, Adagrad: 1, SGD: 0). */
  readonly slots: number;
  /** The slots' starting values. */
  readonly initialSlot: number;
  /**
   * Updates `table` and `slots` at the given rows. `slots` holds each table
   * row's slots together (slot-rows.ts: row r's slot k at (r * slots + k) * dim).
   * `step` counts from 1.
   */
  apply(table: Float32Array, slots: Float32Array, grad: RowGradients, dim: number, step: number): void;
}

/** The sparse form of an optimizer, or null when it has none. */
export function sparseRule(config: OptimizerIR): SparseRule | null {
  switch (config.type) {
    case "sgd":
      return config.momentum === 0 ? sgd(config.lr) : null;
    case "adagrad":
      return adagrad(config.lr, config.initialAccumulator);
    case "adam":
      return adam(config.lr, config.beta1, config.beta2, config.epsilon);
    case "rmsprop":
      return null;
  }
}

// Each rule is one loop over the touched rows' values, not a callback per
// value: with a callback the closure was not always inlined, and lazy Adam
// over 26 tables' rows took more of a recsys step than its products. Each
// first prefetches the rows it will update (util/prefetch.ts).

/** Where the prefetches' sums go, so that their reads stay. */
let prefetched = 0;

function sgd(lr: number): SparseRule {
  return {
    slots: 0,
    initialSlot: 0,
    apply(table, _slots, { rows, values }, dim) {
      prefetched += prefetchRows([table], rows, rows.length, dim, table.length / dim);
      for (let r = 0; r < rows.length; r++) {
        const base = rows[r]! * dim;
        const from = r * dim;
        for (let d = 0; d < dim; d++) table[base + d] = table[base + d]! - lr * values[from + d]!;
      }
    },
  };
}

/** TF.js's epsilon for float32 backends (ENGINE.backend.epsilon()). */
const BACKEND_EPSILON = 1e-7;

function adagrad(lr: number, initialAccumulator: number): SparseRule {
  return {
    slots: 1,
    initialSlot: initialAccumulator,
    apply(table, acc, { rows, values }, dim) {
      // One slot: its per-row layout is the table's.
      prefetched += prefetchRows([table, acc], rows, rows.length, dim, table.length / dim);
      for (let r = 0; r < rows.length; r++) {
        const base = rows[r]! * dim;
        const from = r * dim;
        for (let d = 0; d < dim; d++) {
          const at = base + d;
          const grad = values[from + d]!;
          const next = acc[at]! + grad * grad;
          acc[at] = next;
          table[at] = table[at]! - (lr * grad) / Math.sqrt(next + BACKEND_EPSILON);
        }
      }
    },
  };
}

/**
 * Lazy Adam in double, m and v stored in float32; the bias corrections folded
 * into a step size and a factor (one division and one square root per value,
 * as the fused dense Adam, adam.ts): the same update within a few double
 * roundings, so a float32 weight ends at most one rounding from the
 * three-division form's. Where the table, its slots and the gradient all
 * live in the wasm heap (the fused step's), adam-wasm.ts's kernel evaluates
 * the same expressions two values at a time, to the same bits.
 */
/** Adam's slots per table row: m, then v. */
const ADAM_SLOTS = 2;

function adam(lr: number, beta1: number, beta2: number, epsilon: number): SparseRule {
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  return {
    slots: ADAM_SLOTS,
    initialSlot: 0,
    apply(table, slots, { rows, values }, dim, step) {
      const factors: AdamFactors = { beta1, c1, beta2, c2, rate: lr / (1 - Math.pow(beta1, step)), inverse2: 1 / (1 - Math.pow(beta2, step)), epsilon };
      const kernels = adamKernelsFor([table, slots, rows, values], dim);
      if (kernels !== null) {
        prefetched += kernels.touch(table, slots, rows, rows.length, dim);
        kernels.lazy(table, slots, rows, values, rows.length, dim, factors);
      } else {
        const tableRows = table.length / dim;
        prefetched += prefetchRows([table], rows, rows.length, dim, tableRows) + prefetchRows([slots], rows, rows.length, ADAM_SLOTS * dim, tableRows);
        lazyAdam(table, slots, rows, values, dim, factors);
      }
    },
  };
}

/**
 * Lazy Adam's loop over the rows in JavaScript (exported for the kernel's tests); `slots` holds
 * each row's m then v (slot-rows.ts).
 */
export function lazyAdam(table: Float32Array, slots: Float32Array, rows: Int32Array, values: Float32Array, dim: number, f: AdamFactors): void {
  const { beta1, c1, beta2, c2, rate, inverse2, epsilon } = f;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const base = row * dim;
    const m = slotStart(row, 0, ADAM_SLOTS, dim);
    const v = slotStart(row, 1, ADAM_SLOTS, dim);
    const from = r * dim;
    for (let d = 0; d < dim; d++) {
      const at = base + d;
      const grad = values[from + d]!;
      const mNext = slots[m + d]! * beta1 + grad * c1;
      const vNext = slots[v + d]! * beta2 + grad * grad * c2;
      slots[m + d] = mNext;
      slots[v + d] = vNext;
      table[at] = table[at]! - (rate * mNext) / (Math.sqrt(vNext * inverse2) + epsilon);
    }
  }
}
