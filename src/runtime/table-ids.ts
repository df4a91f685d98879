/**
 * Ids outside their embedding table. The encoder never produces one (a hash
 * is taken modulo the buckets, an unknown word reads the vocabulary's row 0),
 * so one reaches a training step or a prediction only through the API
 * (TrainStep.run, runEncoded or predictTasks on arrays built by hand). The
 * training steps clamped it into the table and silently trained its last
 * (or first) row instead; predictions threw without naming the feature, or,
 * for a sequence's ids on TF.js's layers, clamped them too and scored
 * another row. Now every path refuses it, naming the feature, before any
 * weight changes:
 * - the fused step's lookups, which read every id anyway, throw
 *   (idOutsideTable: the two comparisons the clamp made), and the step's
 *   entry names the feature (namingFeature: a scan of the batch only when
 *   it failed);
 * - the plain step checks its inputs first (checkTableIds: one pass over the
 *   ids, microseconds against a step of TF.js kernels), before its sparse
 *   lookups (which clamp) or its gathers (which throw without the feature)
 *   see them;
 * - predictTasks names the feature of the fused forward pass's error
 *   (namingFeature), and checks the ids first before TF.js's layers run
 *   (checkTableIds), for models buildModel or loadModel made.
 */
import type { ValidIR } from "../ir/types.js";

/** An id outside its table; `feature` and `table` once the step's entry has found them. */
export class IdOutsideTableError extends RangeError {
  override name = "IdOutsideTableError";
  constructor(
    readonly id: number,
    readonly rows: number,
    readonly feature?: { name: string; table: string },
  ) {
    super(
      feature
        ? `feature '${feature.name}' has the id ${id}, outside its embedding table '${feature.table}' of ${rows} rows (ids 0 to ${rows - 1}): ` +
            "encode the rows with the model's encoding (createEncoder), which maps every value into its table, or give the table more rows in the spec"
        : `the id ${id} is outside an embedding table of ${rows} rows (ids 0 to ${rows - 1})`,
    );
  }
}

/** Throws for an id a lookup of a table of `rows` rows cannot read (see above); typed to fit where a row is returned. */
export function idOutsideTable(id: number, rows: number): never {
  throw new IdOutsideTableError(id, rows);
}

/** The fused step's error: an IdOutsideTableError naming the batch's first bad feature (see firstIdOutside), anything else as it is. */
export function namingFeature(error: unknown, ir: ValidIR, ids: (feature: string) => ArrayLike<number> | undefined): unknown {
  return error instanceof IdOutsideTableError ? (firstIdOutside(ir, ids) ?? error) : error;
}

/** Throws an IdOutsideTableError naming the first feature whose ids in the batch are outside its table. */
export function checkTableIds(ir: ValidIR, ids: (feature: string) => ArrayLike<number> | undefined): void {
  const outside = firstIdOutside(ir, ids);
  if (outside !== null) throw outside;
}

/**
 * The first categorical or sequence feature holding an id outside its table,
 * as an error; null if none. Sequence padding (negative ids) is no such id.
 * `ids` gives a feature's ids in the batch, or undefined.
 */
function firstIdOutside(ir: ValidIR, ids: (feature: string) => ArrayLike<number> | undefined): IdOutsideTableError | null {
  for (const feature of ir.features) {
    if (feature.kind === "numeric") continue;
    const values = ids(feature.name);
    const rows = ir.tables.find((t) => t.name === feature.table)?.rows;
    if (values === undefined || rows === undefined) continue;
    const padded = feature.kind === "sequence";
    for (let i = 0; i < values.length; i++) {
      const id = values[i]!;
      if (!(id < rows && (id >= 0 || padded))) return new IdOutsideTableError(id, rows, { name: feature.name, table: feature.table });
    }
  }
  return null;
}
