import type { NumericFeatureIR } from "../../ir/types.js";
import type { NumericStats } from "./state.js";
import { transformValue } from "./numeric.js";

/**
 * Streaming statistics of one numeric feature, in float64 with Welford's
 * updates so that a long column of large, close values loses no precision.
 *
 * Missing rows are only counted while streaming: the value they stand for
 * (the transformed training mean) is known only at the end, and is then
 * merged in as a block of identical values (Chan et al.'s pairwise update),
 * which gives exactly the statistics a second pass would.
 */
export class NumericAccumulator {
  private present = 0;
  private missing = 0;
  private rawMean = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;

  constructor(private readonly feature: NumericFeatureIR) {}

  add(raw: number, transformed: number): void {
    const n = ++this.present;
    this.rawMean += (raw - this.rawMean) / n;
    const delta = transformed - this.mean;
    this.mean += delta / n;
    this.m2 += delta * (transformed - this.mean);
    if (transformed < this.min) this.min = transformed;
    if (transformed > this.max) this.max = transformed;
  }

  addMissing(): void {
    this.missing++;
  }

  finish(): NumericStats {
    const f = this.feature;
    // With no value at all there is no mean to fill with; zero is the neutral choice.
    const fillValue = f.fill === "mean" && this.present > 0 ? this.rawMean : 0;
    let { mean, m2, min, max } = this;
    const total = this.present + this.missing;
    if (this.missing > 0) {
      // The mean of values a transform accepts is accepted too (both domains are intervals).
      const filled = transformValue(f.transform, fillValue);
      const delta = filled - mean;
      mean += (delta * this.missing) / total;
      m2 += (delta * delta * this.present * this.missing) / total;
      min = Math.min(min, filled);
      max = Math.max(max, filled);
    }
    if (total === 0) {
      mean = 0;
      min = 0;
      max = 0;
    }
    return {
      kind: "numeric",
      column: f.column,
      transform: f.transform,
      fill: f.fill,
      normalize: f.normalize,
      present: this.present,
      missing: this.missing,
      fillValue,
      mean,
      std: total > 0 ? Math.sqrt(Math.max(0, m2) / total) : 0,
      min,
      max,
    };
  }
}
