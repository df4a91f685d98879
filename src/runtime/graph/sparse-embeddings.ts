/**
 * Sparse training of the embedding tables.
 *
 * Per step and table: the distinct rows the batch reads are gathered into a
 * small variable, the batch's ids are renumbered to index it, and the table's
 * Embedding layer reads the small variable for the duration of the step. The
 * gradient then has one row per distinct id instead of one per table row, and
 * sparse-update.ts applies the optimiser to those rows, writing them into the
 * table's storage in place (backend/tensor-memory.ts). The model's weights
 * are therefore always current: nothing needs syncing before evaluation or
 * saving.
 *
 * Used when the optimiser has a sparse form and the backend exposes tensor
 * memory (wasm, cpu); otherwise the train step keeps the dense path.
 */
import * as tf from "#tfjs";
import type { FeatureIR, OptimizerIR, TableIR } from "../../ir/types.js";
import { HeapArray, ownAlignedStorage, supportsInPlaceWrites, writableRows } from "../backend/tensor-memory.js";
import { adviseHugePages } from "../backend/huge-pages.js";
import type { BuiltModel } from "./build-model.js";
import type { FeatureTensors } from "./forward.js";
import { names } from "../../plan/names.js";
import { sparseRule, type SparseRule } from "./sparse-update.js";
import { copySlot, joinSlots, splitSlots } from "./slot-rows.js";

/** What one step needs: renumbered ids, the small variables, and how to undo the swap. */
export interface SparseLookup {
  /** The batch's feature tensors with every table's ids renumbered (new tensors; dispose). */
  inputs: FeatureTensors;
  /** One small trainable variable per table, [distinct rows, dim]. */
  variables: tf.Variable[];
  /** Points the Embedding layers back at their tables and releases the step's tensors. */
  release(): void;
}

/** Optimiser slots of one table, for checkpoints: one table-sized array per slot. */
export interface SparseSlots {
  table: string;
  slots: Float32Array[];
  /**
   * Set on an export (SparseEmbeddings.slots) whose arrays are not made yet: a
   * checkpoint's writer (format.ts) copies each slot straight into the file's
   * buffer with it, instead of making `slots` (333 MB of fresh memory for a
   * recsys model's Adam, about a second on the benchmark VM) and copying those.
   */
  readonly writer?: SlotWriter | undefined;
}

/**
 * Writes a table's slots, each `size` values, as the arrays of SparseSlots.slots would hold them; `into`
 * becomes that array (the export's snapshot: keep it unchanged).
 */
export interface SlotWriter {
  readonly count: number;
  readonly size: number;
  write(slot: number, into: Float32Array): void;
}

/**
 * A table's slots as exported: a snapshot whose arrays are made when first
 * read, or when SparseEmbeddings is about to change the slots (freeze), unless
 * a checkpoint's writer has copied them first: its copies are the arrays then,
 * so an export written to a checkpoint straight away is copied once.
 */
class ExportedSlots implements SparseSlots {
  private arrays: Float32Array[] | null = null;
  /** The writer's copies so far. */
  private readonly written: Float32Array[] = [];

  constructor(
    readonly table: string,
    /** The table's slots now, each row's together; null once frozen. */
    private source: (() => Float32Array) | null,
    private readonly count: number,
    private readonly dim: number,
  ) {}

  get slots(): Float32Array[] {
    this.freeze();
    return this.arrays!;
  }

  get writer(): SlotWriter | undefined {
    const source = this.source;
    if (source === null) return undefined;
    const { count, dim } = this;
    const write = (slot: number, into: Float32Array) => {
      copySlot(source(), slot, count, dim, into);
      this.written[slot] = into;
      // Every slot written (filter skips the holes of those not yet): the copies are the snapshot.
      if (this.source !== null && this.written.filter((a) => a !== undefined).length === count) {
        this.arrays = [...this.written];
        this.source = null;
      }
    };
    return { count, size: source().length / count, write };
  }

  /** Makes the arrays from the slots as they are now; the slots may change after. */
  freeze(): void {
    if (this.source === null) return;
    this.arrays = splitSlots(this.source(), this.count, this.dim);
    this.source = null;
  }
}

interface LayerVariableLike {
  val: unknown;
}

interface Table {
  readonly ir: TableIR;
  readonly features: readonly FeatureIR[];
  /** The Embedding layer's weight holder, whose `val` is swapped per step. */
  readonly holder: LayerVariableLike;
  readonly variable: tf.Variable;
  /** Optimiser slots, each row's together (slot-rows.ts); a fresh view: the wasm heap it may live in can move. */
  slots(): Float32Array;
  /** Per step: the distinct rows read, in the order of the small variable. */
  rows: Int32Array;
  small: tf.Variable | null;
}

let instances = 0;

export class SparseEmbeddings {
  private readonly scope = `sparse_${instances++}`;
  private readonly tables: Table[];
  /** table row -> position in the step's small variable, -1 when not read; reset after use. */
  private readonly position: Int32Array;
  /** Returns the slots' heap block (dispose). */
  private readonly freeSlots: () => void;
  /** Exports whose arrays are not made yet: frozen before the slots change. */
  private exported: ExportedSlots[] = [];

  private constructor(
    built: BuiltModel,
    private readonly rule: SparseRule,
  ) {
    const { ir } = built;
    const read = ir.tables
      .map((table) => ({ table, features: ir.features.filter((f) => f.kind !== "numeric" && f.table === table.name) }))
      .filter(({ features }) => features.length > 0);
    const slots = tableSlots(
      read.map(({ table }) => table.rows * table.dim),
      rule.slots,
      rule.initialSlot,
    );
    this.freeSlots = slots.free;
    this.tables = read.map(({ table, features }, i) => {
      const holder = embeddingHolder(built, table);
      return { ir: table, features, holder, variable: holder.val as tf.Variable, slots: slots.views[i]!, rows: new Int32Array(0), small: null };
    });
    this.position = new Int32Array(Math.max(0, ...this.tables.map((t) => t.ir.rows))).fill(-1);
  }

  /** Sparse training for `built` under `optimizer`, or null when the dense path must be used. */
  static create(built: BuiltModel, optimizer: OptimizerIR): SparseEmbeddings | null {
    const rule = sparseRule(optimizer);
    if (rule === null || !supportsInPlaceWrites() || built.ir.tables.length === 0) return null;
    return new SparseEmbeddings(built, rule);
  }

  /** Frees the tables' optimiser slots (the train step's dispose); nothing may use them after (exports taken before stay valid). */
  dispose(): void {
    this.beforeChange();
    this.freeSlots();
  }

  /** The tables' full variables, which the dense optimiser must leave alone. */
  get tableVariables(): readonly tf.Variable[] {
    return this.tables.map((t) => t.variable);
  }

  prepare(inputs: FeatureTensors): SparseLookup {
    const renumbered: FeatureTensors = { ...inputs };
    const created: tf.Tensor[] = [];
    for (const table of this.tables) {
      const ids = table.features.map((f) => {
        const t = inputs[f.name];
        if (t === undefined) throw new Error(`no input tensor for feature '${f.name}'`);
        return { name: f.name, shape: t.shape, values: t.dataSync(), padded: f.kind === "sequence" };
      });
      table.rows = this.distinctRows(table.ir.rows, ids);
      for (const { name, shape, values, padded } of ids) {
        const t = tf.tensor(this.renumber(values, table.ir.rows, padded), shape, "int32");
        renumbered[name] = t;
        created.push(t);
      }
      this.clearPositions(table.rows);
      table.small = tf.tidy(() =>
        tf.variable(tf.gather(table.variable, tf.tensor1d(table.rows, "int32")), true, `${this.scope}/${names.embedding(table.ir.name)}`),
      );
      table.holder.val = table.small;
    }
    return {
      inputs: renumbered,
      variables: this.tables.map((t) => t.small!),
      release: () => {
        for (const table of this.tables) {
          table.holder.val = table.variable;
          table.small?.dispose();
          table.small = null;
        }
        tf.dispose(created);
      },
    };
  }

  /** Applies the optimiser to the rows read this step; `step` counts from 1. Call before release(). */
  update(grads: tf.NamedTensorMap, step: number): void {
    this.beforeChange();
    for (const table of this.tables) {
      const grad = grads[table.small!.name];
      if (grad === undefined) continue; // the table did not reach the loss
      const values = grad.dataSync() as Float32Array;
      ownAlignedStorage(table.variable);
      const storage = writableRows(table.variable);
      if (storage === null) throw new Error(`cannot write the rows of table '${table.ir.name}' on backend '${tf.getBackend()}'`);
      this.rule.apply(storage, table.slots(), { rows: table.rows, values }, table.ir.dim, step);
    }
  }

  /**
   * Table `name`'s slots for the rule to update, each row's together (slot-rows.ts): a view taken now, valid until
   * the next TF.js call that allocates.
   */
  slotRows(name: string): Float32Array {
    const table = this.tables.find((t) => t.ir.name === name);
    if (table === undefined) throw new Error(`no optimiser slots for table '${name}'`);
    this.beforeChange();
    return table.slots();
  }

  /**
   * Each table's slots as checkpoints hold them, one table-sized array per slot: a snapshot, whose arrays are
   * made when read or before the slots next change (a checkpoint written straight away copies them once).
   */
  slots(): SparseSlots[] {
    const exported = this.tables.map((t) => new ExportedSlots(t.ir.name, t.slots, this.rule.slots, t.ir.dim));
    this.exported.push(...exported);
    return exported;
  }

  restoreSlots(saved: readonly SparseSlots[]): void {
    this.beforeChange();
    for (const table of this.tables) {
      const entry = saved.find((s) => s.table === table.ir.name);
      const size = table.ir.rows * table.ir.dim;
      if (entry === undefined || entry.slots.length !== this.rule.slots || entry.slots.some((s) => s.length !== size)) {
        throw new Error(`the saved optimiser state does not fit table '${table.ir.name}' (${table.ir.rows} x ${table.ir.dim})`);
      }
      joinSlots(entry.slots, table.slots(), table.ir.dim);
    }
  }

  /** Freezes the exports taken so far: the slots are about to change. */
  private beforeChange(): void {
    for (const e of this.exported) e.freeze();
    this.exported = [];
  }

  /** The distinct rows all of a table's features read, in first-seen order. */
  private distinctRows(rows: number, features: readonly { values: ArrayLike<number>; padded: boolean }[]): Int32Array {
    const out: number[] = [];
    for (const { values, padded } of features) {
      for (let i = 0; i < values.length; i++) {
        const row = rowOf(values[i]!, rows, padded);
        if (row >= 0 && this.position[row] === -1) {
          this.position[row] = out.length;
          out.push(row);
        }
      }
    }
    // A batch of only padded sequences still needs one row for the clamped lookups.
    if (out.length === 0) {
      this.position[0] = 0;
      out.push(0);
    }
    return Int32Array.from(out);
  }

  /**
   * Ids as positions in the small variable. Sequence padding (negative ids)
   * stays negative, since the pooling layer masks on it; any other id is
   * clamped into the table as ClampIds does on the dense path.
   */
  private renumber(ids: ArrayLike<number>, rows: number, padded: boolean): Int32Array {
    const out = new Int32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const row = rowOf(ids[i]!, rows, padded);
      out[i] = row < 0 ? -1 : this.position[row]!;
    }
    return out;
  }

  private clearPositions(rows: Int32Array): void {
    for (let i = 0; i < rows.length; i++) this.position[rows[i]!] = -1;
  }
}

/**
 * Each table's optimiser slots (`count` of `sizes[i]` values for table i,
 * each row's together: slot-rows.ts), cut from one allocation, as functions
 * returning current views.
 *
 * On the wasm backend the allocation is a block of its heap, next to the
 * tables, so that lazy Adam's kernel (adam-wasm.ts) reads the slots where
 * they are; the heap may grow and detach views, hence the functions.
 * Elsewhere (or past HEAP_SLOTS_MAX_BYTES) it is a Float32Array: zeroed by
 * the allocator, whose pages the system maps only when first written, so
 * zero slots (Adam's moments) cost nothing until the rows they cover are
 * trained (filling 2 x 41.6M zeros by hand took about 1.8 s per run); one
 * allocation rather than one per table, so that its pages can be mapped 2 MiB
 * at a time (huge-pages.ts; the wasm heap is advised as a whole). Other start
 * values (Adagrad's accumulator) must be written.
 *
 * Each table's slots start on a multiple of SLOT_ALIGNMENT bytes, so that a
 * 16-float row's m and v (128 bytes) are a pair of cache lines in one page.
 */
function tableSlots(sizes: readonly number[], count: number, initial: number): { views: (() => Float32Array)[]; free: () => void } {
  const padded = sizes.map((size) => Math.ceil((size * count) / SLOT_ALIGNMENT_VALUES) * SLOT_ALIGNMENT_VALUES);
  const total = padded.reduce((sum, size) => sum + size, 0);
  const block = arena(total, initial);
  const all = block?.view ?? null;
  let offset = 0;
  const views = sizes.map((size, i) => {
    const start = offset;
    offset += padded[i]!;
    if (all === null) {
      // Past a typed array's length limit, one allocation per table.
      const own = new Float32Array(size * count);
      adviseHugePages(own);
      if (initial !== 0) own.fill(initial);
      return () => own;
    }
    return () => all().subarray(start, start + size * count);
  });
  return { views, free: block?.free ?? (() => undefined) };
}

/** Where each table's slots start: 128 bytes, a 16-float row's m and v. */
const SLOT_ALIGNMENT_VALUES = 32;

/**
 * One block of `total` values set to `initial`, starting on a multiple of SLOT_ALIGNMENT_VALUES values: a
 * function returning a current view, and one freeing a heap block; null when too large for one.
 */
function arena(total: number, initial: number): { view: () => Float32Array; free: () => void } | null {
  if (total * 4 <= HEAP_SLOTS_MAX_BYTES) {
    const heapBefore = HeapArray.heapBytes();
    // HeapArray blocks start on a cache line: room to move to the next SLOT_ALIGNMENT_VALUES boundary.
    const block = HeapArray.create(total + SLOT_ALIGNMENT_VALUES);
    if (block !== null) {
      const skip = (SLOT_ALIGNMENT_VALUES - ((block.address / 4) % SLOT_ALIGNMENT_VALUES)) % SLOT_ALIGNMENT_VALUES;
      // The heap's memory past its size before the allocation is fresh from growing it, hence zero.
      const written = initial !== 0 ? total + skip : Math.min(total + skip, Math.max(0, Math.ceil((heapBefore - block.address) / 4)));
      block.floats.fill(initial, 0, written);
      return { view: () => block.floats.subarray(skip, skip + total), free: () => block.free() };
    }
  }
  if (total > MAX_SLOT_ARENA) return null;
  const array = new Float32Array(total);
  adviseHugePages(array);
  if (initial !== 0) array.fill(initial);
  return { view: () => array, free: () => undefined };
}

/** Slots up to this size go in the wasm heap (whose 4 GiB also hold the tables and every other tensor). */
const HEAP_SLOTS_MAX_BYTES = 2 ** 30;

/** Values in one allocation of tableSlots (4 GiB), well under V8's typed array limit. */
const MAX_SLOT_ARENA = 2 ** 30;

/**
 * The table row an id reads, as ClampIds and the Embedding layer resolve it
 * on the dense path; -1 for sequence padding, which the pooling masks out.
 */
function rowOf(id: number, rows: number, padded: boolean): number {
  if (id < 0) return padded ? -1 : 0;
  return id < rows ? id : rows - 1;
}

/** The weight holder of a table's Embedding layer; its `val` is the TF.js variable. */
function embeddingHolder(built: BuiltModel, table: TableIR): LayerVariableLike {
  const layer = built.trainingModel.getLayer(names.embedding(table.name));
  const holder = layer.weights[0] as unknown as LayerVariableLike | undefined;
  if (holder === undefined || !(holder.val instanceof tf.Variable)) {
    throw new Error(`the Embedding layer of table '${table.name}' holds no variable where expected; the TF.js layers internals changed`);
  }
  return holder;
}
