/**
 * The ESMM world's impressions as a production log keeps them, with the three
 * columns specs/esmm-weighted.mtl reads beside the world's own:
 *
 *   last_item_id  the item of the same user's previous impression in the stream
 *                 (`none` before the first), a second item column for a shared table;
 *   imp_weight    negative down-sampling: every clicked impression is kept, a
 *                 non-clicked one with probability `keepNegatives`, and a kept row
 *                 weighs the inverse of its keep probability (1, or 1 / keepNegatives),
 *                 so weighted sums over the log estimate sums over every impression;
 *   order_weight  imp_weight times 1 + ln(1 + amount): a purchase counts more the larger
 *                 its order (logarithmically, so a few large baskets do not dominate).
 *
 * The weights are what makes the down-sampled log stand for the world: an
 * unweighted CTR on it is about 1 / keepNegatives times the world's.
 * A purchase implies a click, so every purchase is kept too.
 */
import { Rng } from "../../util/random.js";
import { ESMM_DEFAULTS, esmmColumns, generateEsmm, type EsmmRow, type EsmmSyntheticOptions } from "./esmm.js";

export const ESMM_LOG_COLUMNS = ["last_item_id", "imp_weight", "order_weight"] as const;

/** The probability a non-clicked impression is kept, unless the options say otherwise. */
export const DEFAULT_KEEP_NEGATIVES = 0.25;

/** Before a user's first impression there is no previous item. */
export const NO_PREVIOUS_ITEM = "none";

export type EsmmLogRow = EsmmRow & { last_item_id: string; imp_weight: number; order_weight: number };

export interface EsmmLogOptions extends EsmmSyntheticOptions {
  /** Rows of the log, after down-sampling. */
  rows: number;
  /** The probability a non-clicked impression is kept. Default DEFAULT_KEEP_NEGATIVES. */
  keepNegatives?: number;
}

/** The world's columns, then ESMM_LOG_COLUMNS. */
export function esmmLogColumns(): (keyof EsmmLogRow)[] {
  return [...esmmColumns(), ...ESMM_LOG_COLUMNS];
}

/** Deterministic for the options; the impressions are the world's for the same seed, less the dropped negatives. */
export function* generateEsmmLog(opts: EsmmLogOptions): Generator<EsmmLogRow> {
  const keep = opts.keepNegatives ?? DEFAULT_KEEP_NEGATIVES;
  if (!(keep > 0 && keep <= 1)) throw new RangeError(`keepNegatives must be in (0, 1], got ${keep}`);
  // Its own stream: the impressions, clicks and purchases are the world's, whatever is dropped.
  const sampling = new Rng(opts.seed ?? ESMM_DEFAULTS.seed).fork("esmm-log/down-sampling");
  const lastItem = new Map<string, string>();
  let kept = 0;
  // The world's generator is lazy: it runs only as far as the log needs.
  for (const row of generateEsmm({ ...opts, rows: Number.MAX_SAFE_INTEGER })) {
    if (kept >= opts.rows) return;
    const previous = lastItem.get(row.user_id) ?? NO_PREVIOUS_ITEM;
    lastItem.set(row.user_id, row.item_id);
    if (row.click === 0 && sampling.bernoulli(keep) === 0) continue;
    kept++;
    const impWeight = row.click === 1 ? 1 : 1 / keep;
    yield { ...row, last_item_id: previous, imp_weight: impWeight, order_weight: impWeight * (1 + Math.log1p(row.amount)) };
  }
}
