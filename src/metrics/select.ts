/**
 * Row selection shared by the metrics. A mask marks the rows a task is scored
 * on (a task's `where`): 1 selects a row, 0 drops it. Any other mask value is
 * an error rather than a guess, because a probability or a label column passed
 * by mistake would otherwise silently pick rows.
 */

export function checkLengths(what: string, a: ArrayLike<number>, b: ArrayLike<number>, mask?: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new RangeError(`${what}: predictions and labels differ in length (${a.length} vs ${b.length})`);
  }
  if (mask !== undefined && mask.length !== a.length) {
    throw new RangeError(`${what}: mask length ${mask.length} differs from ${a.length} rows`);
  }
}

/** Whether row i is selected; always true without a mask. */
export function selected(what: string, mask: ArrayLike<number> | undefined, i: number): boolean {
  if (mask === undefined) return true;
  const m = mask[i]!;
  if (m === 1) return true;
  if (m === 0) return false;
  throw new RangeError(`${what}: mask values must be 0 or 1, got ${m} at row ${i}`);
}
