/**
 * A concatenation of embedding lookups (and other columns) as one operation:
 * every looked-up row is copied straight into its place in the concatenated
 * [batch, width] input, and the backward pass adds each row of the incoming
 * gradient into its table's gradient, with no per-feature gather, flatten,
 * concat or slice kernels. A recsys input of 26 categorical features was
 * 26 x 3 kernels and a 27-way concatenation forward, and as many backward.
 *
 * The values are exactly those of gather + flatten + concatenate; the table
 * gradients are the same sums (of rows for repeated ids, possibly added in
 * another order). Only backends whose tensor memory JavaScript can read
 * (wasm, cpu) take this path; the caller falls back to the layers otherwise.
 */
import * as tf from "#tfjs";
import { gatherIndexError } from "../backend/kernels/gather-override.js";
import { supportsInPlaceWrites, writableRows } from "../backend/tensor-memory.js";

/** One column block of the concatenation. */
export type ConcatPart =
  /** `table` read at the ids of `ids` ([batch, 1] int32), `dim` columns. */
  | { kind: "lookup"; ids: tf.Tensor; table: tf.Tensor; dim: number }
  /** A [batch, width] float tensor as it is. */
  | { kind: "tensor"; tensor: tf.Tensor; width: number };

/** Above this many table values per looked-up row, the table's gradient is left to TF.js's segment sum (a dense table's full-size gradient). */
const JS_GRADIENT_ROWS_PER_LOOKUP = 4;

/** The concatenation of `parts` along the last axis, or null when the backend's memory is out of reach. */
export function lookupConcat(parts: readonly ConcatPart[]): tf.Tensor | null {
  if (!supportsInPlaceWrites()) return null;
  const tables = [...new Set(parts.flatMap((p) => (p.kind === "lookup" ? [p.table] : [])))];
  const columns = parts.flatMap((p) => (p.kind === "tensor" ? [p.tensor] : []));
  const batch = parts[0]!.kind === "lookup" ? parts[0]!.ids.shape[0]! : parts[0]!.tensor.shape[0]!;
  const width = parts.reduce((w, p) => w + (p.kind === "lookup" ? p.dim : p.width), 0);
  const ids = parts.map((p) => (p.kind === "lookup" ? (p.ids.dataSync() as Int32Array) : null));

  // customGrad passes a save function after the inputs; only the inputs are read here.
  const op = tf.customGrad((...inputs: unknown[]) => {
    const args = inputs as tf.Tensor[];
    const out = new Float32Array(batch * width);
    let col = 0;
    let nextColumn = tables.length;
    parts.forEach((part, i) => {
      if (part.kind === "lookup") {
        const table = args[tables.indexOf(part.table)]!;
        const rows = table.shape[0]!;
        const values = readable(table);
        const at = ids[i]!;
        for (let r = 0; r < batch; r++) {
          const row = at[r]!;
          if (!(row >= 0 && row < rows)) throw gatherIndexError(row, rows);
          copy(values, row * part.dim, out, r * width + col, part.dim);
        }
        col += part.dim;
      } else {
        const values = readable(args[nextColumn++]!);
        for (let r = 0; r < batch; r++) copy(values, r * part.width, out, r * width + col, part.width);
        col += part.width;
      }
    });
    const value = tf.tensor2d(out, [batch, width]);
    return { value, gradFunc: (dy: tf.Tensor) => gradients(dy as tf.Tensor2D, args) };
  });

  /** d(out)/d(tables) and d(out)/d(columns), in the order of the op's arguments. */
  function gradients(dy: tf.Tensor2D, args: tf.Tensor[]): tf.Tensor[] {
    const tableGrads = tables.map((_, t) => {
      const table = args[t]!;
      const lookups = parts.map((p, i) => [p, i] as const).filter(([p]) => p.kind === "lookup" && p.table === tables[t]);
      if (table.size > JS_GRADIENT_ROWS_PER_LOOKUP * batch * table.shape[1]! * lookups.length) {
        // A large dense table: its gradient is table-sized either way; TF.js's segment sum writes it without a JavaScript copy.
        return tf.addN(
          lookups.map(([p, i]) => {
            const start = columnOf(i);
            return tf.unsortedSegmentSum(tf.slice(dy, [0, start], [batch, (p as { dim: number }).dim]), tf.tensor1d(ids[i]!, "int32"), table.shape[0]!);
          }),
        );
      }
      return null;
    });
    const g = dy.dataSync() as Float32Array;
    const out: tf.Tensor[] = tableGrads.map((grad, t) => {
      if (grad !== null) return grad;
      const table = args[t]!;
      const dim = table.shape[1]!;
      const sum = new Float32Array(table.size);
      parts.forEach((p, i) => {
        if (p.kind !== "lookup" || p.table !== tables[t]) return;
        const start = columnOf(i);
        const at = ids[i]!;
        for (let r = 0; r < batch; r++) {
          const base = at[r]! * dim;
          const from = r * width + start;
          for (let j = 0; j < dim; j++) sum[base + j] += g[from + j]!;
        }
      });
      return tf.tensor(sum, table.shape, "float32");
    });
    parts.forEach((p, i) => {
      if (p.kind !== "tensor") return;
      const start = columnOf(i);
      const part = new Float32Array(batch * p.width);
      for (let r = 0; r < batch; r++) copy(g, r * width + start, part, r * p.width, p.width);
      out.push(tf.tensor2d(part, [batch, p.width]));
    });
    return out;
  }

  function columnOf(index: number): number {
    let col = 0;
    for (let i = 0; i < index; i++) {
      const p = parts[i]!;
      col += p.kind === "lookup" ? p.dim : p.width;
    }
    return col;
  }

  return op(...tables, ...columns);
}

/** The tensor's values without a copy where the backend allows. */
function readable(t: tf.Tensor): Float32Array {
  return writableRows(t) ?? (t.dataSync() as Float32Array);
}

function copy(from: Float32Array, at: number, to: Float32Array, into: number, size: number): void {
  for (let j = 0; j < size; j++) to[into + j] = from[at + j]!;
}
