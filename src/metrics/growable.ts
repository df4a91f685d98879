/**
 * An append-only Float64Array that doubles its capacity when full: amortised
 * O(1) appends and 8 bytes a value, where a JS array of numbers may box each
 * value. Float64 because scores from float32 models and float64 labels both
 * fit exactly.
 */
export class GrowableFloat64Array {
  private data: Float64Array;
  private size = 0;

  constructor(initialCapacity = 1024) {
    this.data = new Float64Array(Math.max(1, initialCapacity));
  }

  get length(): number {
    return this.size;
  }

  /** Makes room for `extra` more values. */
  reserve(extra: number): void {
    const needed = this.size + extra;
    if (needed <= this.data.length) return;
    let capacity = this.data.length;
    while (capacity < needed) capacity *= 2;
    const next = new Float64Array(capacity);
    next.set(this.data.subarray(0, this.size));
    this.data = next;
  }

  push(value: number): void {
    if (this.size === this.data.length) this.reserve(1);
    this.data[this.size++] = value;
  }

  /** The values so far, as a view: valid until the next append or clear. */
  view(): Float64Array {
    return this.data.subarray(0, this.size);
  }

  clear(): void {
    this.size = 0;
  }
}
