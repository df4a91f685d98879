/**
 * Synthetic impression logs for ESMM (Ma et al., "Entire Space Multi-Task
 * Model", SIGIR 2018): clicks, purchases after clicks and order values, with
 * the true probabilities of every row, so that CTR, CVR and CTCVR models can be
 * scored against the truth on the entire impression space, not only on clicks.
 *
 * Generative model. sigma(t) = 1 / (1 + e^-t); k = latentDim.
 *
 *   Categories c:  L_c = exp(N(ln 30, 0.8^2))           price level
 *                  g_c, h_c ~ N(0, 0.3^2)                click / buy offsets
 *   Items i:       cat(i) ~ Zipf(categories, s_item)
 *                  P_i = L_cat(i) exp(N(0, 0.4^2))       list price
 *                  v_i ~ N(0, I_k)                       taste profile
 *                  a_i, q_i ~ N(0, 0.5^2)                appeal (clicks), quality (buys)
 *                  b_i ~ Bernoulli(clickbaitFraction)    clickbait
 *   Users u:       z_u ~ N(0, I_k)                       taste
 *                  e_u, f_u ~ N(0, 0.5^2)                click / buy propensity
 *                  age_u = clamp(round(N(38, 12^2)), 18, 80)
 *                  r_u = exp(N(0, 0.3^2))                price sensitivity
 *
 *   Impression:    u ~ Zipf(users, s_user), i ~ Zipf(items, s_item), c = cat(i)
 *                  discount D = 0 (p 0.7), 0.1, 0.2, 0.3 (p 0.1 each)
 *                  price = P_i (1 - D), rounded to cents
 *                  A = z_u.v_i / sqrt(k)                 affinity, variance 1
 *                  G = (age_u - 40) / 12,  R = ln(price / L_c)
 *
 *   s_ctr = affinityClick A + e_u + a_i + g_c + clickbaitClick b_i + ageClick G - priceClick R
 *   s_cvr = affinityBuy A   + f_u + q_i + h_c - clickbaitBuy b_i   + ageBuy G   - r_u R
 *
 *   true_ctr   = sigma(beta_ctr + s_ctr)          = P(click | x)
 *   true_cvr   = sigma(beta_cvr + s_cvr)          = P(buy | click, x)
 *   true_ctcvr = true_ctr * true_cvr              = P(click, buy | x)
 *
 *   click          ~ Bernoulli(true_ctr)
 *   buy_if_clicked ~ Bernoulli(true_cvr), drawn for every row, independent of click given x
 *   purchase       = click * buy_if_clicked
 *   amount         = purchase ? price exp(m + amountNoise eps) : 0,  eps ~ N(0, 1),
 *                    m = 0.2 A + 0.1 G                 (richer baskets on good matches)
 *   true_amount    = price exp(m + amountNoise^2 / 2) = E[amount | purchase = 1, x]
 *
 * "x" is everything above about the impression, the hidden entity traits
 * included; the observed columns identify them through the ids.
 *
 * The intercepts beta_ctr and beta_cvr are solved for (bisection on a fixed
 * sample of `calibrationSamples` impressions) so that the mean true_ctr over
 * impressions is `ctr` and the click-weighted mean true_cvr, i.e. the expected
 * purchases per click, is `cvr`.
 *
 * Why a CVR model trained on clicks is biased. Click and buy are independent
 * given x, which is ESMM's own assumption and what makes true_ctcvr the product
 * above; but the clicked rows are a skewed sample of x. Good user-item matches
 * (high A) are over-represented among clicks and convert better, while
 * clickbait items (b_i = 1) and young users (ageClick < 0 < ageBuy) are also
 * over-represented and convert worse. With the defaults affinity wins: the mean
 * true_cvr over clicked rows is 1.3 to 1.55 times its mean over all impressions
 * (seeds 0..5, 200k rows), so a CVR model fitted on clicks overestimates
 * conversion on the entire space, and it sees few rows from the low-CTR regions
 * it is then asked to score. The opposing mechanisms make CTR and CVR disagree
 * on which items are good, so ranking by CTR alone is not ranking by CTCVR.
 *
 * Random streams are forked by purpose from the seed: the world (users, items,
 * categories), the impressions, and the click, buy and amount draws each have
 * their own, so for one seed changing `cvr` leaves every click unchanged.
 */
import { Rng, type Seed } from "../../util/random.js";
import { ZipfSampler } from "./zipf.js";

export interface EsmmSyntheticOptions {
  /** Impressions to generate. */
  rows: number;
  seed?: Seed;
  /** Target mean click probability over impressions. Default 0.04. */
  ctr?: number;
  /** Target expected purchases per click. Default 0.10. */
  cvr?: number;
  /** Distinct users, items and categories. Defaults 5000, 2000, 100. */
  users?: number;
  items?: number;
  categories?: number;
  /** Zipf exponent of user activity. Default 0.6 (the busiest of 5000 users has about 1% of impressions). */
  userZipfExponent?: number;
  /** Zipf exponent of item popularity and of category sizes. Default 0.8 (the top item of 2000 has about 5%). */
  itemZipfExponent?: number;
  /** Dimension k of the user and item taste vectors. Default 8. */
  latentDim?: number;
  /** Weight of user-item affinity in the click and buy logits. Defaults 1.0, 0.8. */
  affinityClick?: number;
  affinityBuy?: number;
  /** Share of clickbait items, and how much they raise the click logit and lower the buy logit. Defaults 0.15, 1.5, 2.0. */
  clickbaitFraction?: number;
  clickbaitClick?: number;
  clickbaitBuy?: number;
  /** Effect of standardised age on the click and buy logits. Defaults -0.3, 0.4. */
  ageClick?: number;
  ageBuy?: number;
  /** Drop of the click logit per unit of log price relative to the category level. Default 0.5. */
  priceClick?: number;
  /** Standard deviation of log order value around its mean. Default 0.3. */
  amountNoise?: number;
  /** Impressions used to solve for the intercepts. Default 20000. */
  calibrationSamples?: number;
}

export type ResolvedEsmmOptions = Required<Omit<EsmmSyntheticOptions, "seed">> & { seed: Seed };

export const ESMM_DEFAULTS = {
  seed: 0,
  ctr: 0.04,
  cvr: 0.1,
  users: 5000,
  items: 2000,
  categories: 100,
  userZipfExponent: 0.6,
  itemZipfExponent: 0.8,
  latentDim: 8,
  affinityClick: 1.0,
  affinityBuy: 0.8,
  clickbaitFraction: 0.15,
  clickbaitClick: 1.5,
  clickbaitBuy: 2.0,
  ageClick: -0.3,
  ageBuy: 0.4,
  priceClick: 0.5,
  amountNoise: 0.3,
  calibrationSamples: 20000,
} as const;

/** One impression. A type alias, not an interface, so it is assignable to Record<string, string | number>. */
export type EsmmRow = {
  user_id: string;
  item_id: string;
  category: string;
  price: number;
  user_age: number;
  click: number;
  purchase: number;
  amount: number;
  true_ctr: number;
  true_cvr: number;
  true_ctcvr: number;
  true_amount: number;
  buy_if_clicked: number;
};

export const ESMM_FEATURE_COLUMNS = ["user_id", "item_id", "category", "price", "user_age"] as const;
export const ESMM_LABEL_COLUMNS = ["click", "purchase", "amount"] as const;
export const ESMM_TRUTH_COLUMNS = ["true_ctr", "true_cvr", "true_ctcvr", "true_amount", "buy_if_clicked"] as const;

/** Features, then labels, then ground truth: the keys of every `EsmmRow`, in order. */
export function esmmColumns(): (keyof EsmmRow)[] {
  return [...ESMM_FEATURE_COLUMNS, ...ESMM_LABEL_COLUMNS, ...ESMM_TRUTH_COLUMNS];
}

/** The hidden state behind the logs: entity traits and the calibrated intercepts. */
export interface EsmmWorld {
  options: ResolvedEsmmOptions;
  ctrIntercept: number;
  cvrIntercept: number;
  categories: { priceLevel: Float64Array; clickOffset: Float64Array; buyOffset: Float64Array };
  items: {
    category: Int32Array;
    listPrice: Float64Array;
    appeal: Float64Array;
    quality: Float64Array;
    clickbait: Uint8Array;
    /** items x latentDim, row-major. */
    taste: Float64Array;
  };
  users: {
    age: Int32Array;
    clickPropensity: Float64Array;
    buyPropensity: Float64Array;
    priceSensitivity: Float64Array;
    /** users x latentDim, row-major. */
    taste: Float64Array;
  };
}

function resolve(opts: EsmmSyntheticOptions): ResolvedEsmmOptions {
  const o: ResolvedEsmmOptions = { ...ESMM_DEFAULTS, rows: opts.rows };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  const count = (name: "rows" | "users" | "items" | "categories" | "latentDim" | "calibrationSamples", min: number) => {
    if (!Number.isInteger(o[name]) || o[name] < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${o[name]}`);
  };
  count("rows", 0);
  count("users", 1);
  count("items", 1);
  count("categories", 1);
  count("latentDim", 1);
  count("calibrationSamples", 1);
  for (const name of ["ctr", "cvr"] as const) {
    if (!(o[name] > 0 && o[name] < 1)) throw new RangeError(`${name} must be in (0, 1), got ${o[name]}`);
  }
  if (!(o.clickbaitFraction >= 0 && o.clickbaitFraction <= 1)) {
    throw new RangeError(`clickbaitFraction must be in [0, 1], got ${o.clickbaitFraction}`);
  }
  if (!(o.amountNoise >= 0)) throw new RangeError(`amountNoise must be >= 0, got ${o.amountNoise}`);
  return o;
}

const sigmoid = (t: number): number => 1 / (1 + Math.exp(-t));

function normals(rng: Rng, n: number, mean: number, std: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal(mean, std);
  return v;
}

function buildWorld(o: ResolvedEsmmOptions, root: Rng): Omit<EsmmWorld, "ctrIntercept" | "cvrIntercept"> {
  const k = o.latentDim;

  const rc = root.fork("esmm/categories");
  const categories = {
    priceLevel: normals(rc, o.categories, Math.log(30), 0.8).map(Math.exp),
    clickOffset: normals(rc, o.categories, 0, 0.3),
    buyOffset: normals(rc, o.categories, 0, 0.3),
  };

  const ri = root.fork("esmm/items");
  const categoryOf = new ZipfSampler(o.categories, o.itemZipfExponent);
  const category = Int32Array.from({ length: o.items }, () => categoryOf.sample(ri));
  const items = {
    category,
    listPrice: Float64Array.from(category, (c) => categories.priceLevel[c]! * Math.exp(ri.normal(0, 0.4))),
    appeal: normals(ri, o.items, 0, 0.5),
    quality: normals(ri, o.items, 0, 0.5),
    clickbait: Uint8Array.from({ length: o.items }, () => ri.bernoulli(o.clickbaitFraction)),
    taste: normals(ri, o.items * k, 0, 1),
  };

  const ru = root.fork("esmm/users");
  const users = {
    age: Int32Array.from({ length: o.users }, () => Math.min(80, Math.max(18, Math.round(ru.normal(38, 12))))),
    clickPropensity: normals(ru, o.users, 0, 0.5),
    buyPropensity: normals(ru, o.users, 0, 0.5),
    priceSensitivity: normals(ru, o.users, 0, 0.3).map(Math.exp),
    taste: normals(ru, o.users * k, 0, 1),
  };

  return { options: o, categories, items, users };
}

interface Impression {
  user: number;
  item: number;
  price: number;
}

/** The logits without intercepts, and the log-mean of the order value given a purchase. */
interface Scores {
  click: number;
  buy: number;
  amountLogMean: number;
}

type WorldBody = Omit<EsmmWorld, "ctrIntercept" | "cvrIntercept">;

class ImpressionSampler {
  private readonly userOf: ZipfSampler;
  private readonly itemOf: ZipfSampler;

  constructor(private readonly world: WorldBody) {
    this.userOf = new ZipfSampler(world.options.users, world.options.userZipfExponent);
    this.itemOf = new ZipfSampler(world.options.items, world.options.itemZipfExponent);
  }

  /** Exactly three draws per impression, so rows stay aligned across option changes. */
  sample(rng: Rng): Impression {
    const user = this.userOf.sample(rng);
    const item = this.itemOf.sample(rng);
    const tier = rng.int(10);
    const discount = tier < 7 ? 0 : (tier - 6) / 10;
    const price = Math.max(0.01, Math.round(this.world.items.listPrice[item]! * (1 - discount) * 100) / 100);
    return { user, item, price };
  }
}

function scoreImpression(w: WorldBody, { user, item, price }: Impression): Scores {
  const o = w.options;
  const k = o.latentDim;
  let dot = 0;
  for (let j = 0; j < k; j++) dot += w.users.taste[user * k + j]! * w.items.taste[item * k + j]!;
  const affinity = dot / Math.sqrt(k);
  const c = w.items.category[item]!;
  const age = (w.users.age[user]! - 40) / 12;
  const relPrice = Math.log(price / w.categories.priceLevel[c]!);
  const bait = w.items.clickbait[item]!;
  return {
    click:
      o.affinityClick * affinity +
      w.users.clickPropensity[user]! +
      w.items.appeal[item]! +
      w.categories.clickOffset[c]! +
      o.clickbaitClick * bait +
      o.ageClick * age -
      o.priceClick * relPrice,
    buy:
      o.affinityBuy * affinity +
      w.users.buyPropensity[user]! +
      w.items.quality[item]! +
      w.categories.buyOffset[c]! -
      o.clickbaitBuy * bait +
      o.ageBuy * age -
      w.users.priceSensitivity[user]! * relPrice,
    amountLogMean: 0.2 * affinity + 0.1 * age,
  };
}

/** The b with (sum_k weight_k sigma(b + s_k)) / (sum_k weight_k) = target; the left side increases with b. */
function solveIntercept(s: Float64Array, weight: Float64Array | null, target: number): number {
  let totalWeight = 0;
  for (let k = 0; k < s.length; k++) totalWeight += weight ? weight[k]! : 1;
  let lo = -50;
  let hi = 50;
  for (let iter = 0; iter < 100 && hi - lo > 1e-12; iter++) {
    const mid = (lo + hi) / 2;
    let mean = 0;
    for (let k = 0; k < s.length; k++) mean += (weight ? weight[k]! : 1) * sigmoid(mid + s[k]!);
    if (mean / totalWeight < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The entity traits and intercepts for these options; deterministic for a seed. `rows` is not used. */
export function createEsmmWorld(opts: EsmmSyntheticOptions): EsmmWorld {
  const o = resolve(opts);
  const root = new Rng(o.seed);
  const body = buildWorld(o, root);

  const sampler = new ImpressionSampler(body);
  const rng = root.fork("esmm/calibration");
  const n = o.calibrationSamples;
  const click = new Float64Array(n);
  const buy = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const s = scoreImpression(body, sampler.sample(rng));
    click[k] = s.click;
    buy[k] = s.buy;
  }
  const ctrIntercept = solveIntercept(click, null, o.ctr);
  const clickProb = click.map((s) => sigmoid(ctrIntercept + s));
  const cvrIntercept = solveIntercept(buy, clickProb, o.cvr);
  return { ...body, ctrIntercept, cvrIntercept };
}

/**
 * Impressions with features, labels and ground truth (see `esmmColumns`). The
 * same options and seed give the same rows; a longer run starts with the rows
 * of a shorter one.
 */
export function* generateEsmm(opts: EsmmSyntheticOptions): Generator<EsmmRow> {
  const world = createEsmmWorld(opts);
  const o = world.options;
  const root = new Rng(o.seed);
  const sampler = new ImpressionSampler(world);
  const impressions = root.fork("esmm/impressions");
  const clicks = root.fork("esmm/clicks");
  const buys = root.fork("esmm/buys");
  const amounts = root.fork("esmm/amounts");

  for (let r = 0; r < o.rows; r++) {
    const imp = sampler.sample(impressions);
    const s = scoreImpression(world, imp);
    const trueCtr = sigmoid(world.ctrIntercept + s.click);
    const trueCvr = sigmoid(world.cvrIntercept + s.buy);
    const click = clicks.bernoulli(trueCtr);
    const buyIfClicked = buys.bernoulli(trueCvr);
    const purchase = click & buyIfClicked;
    const orderValue = imp.price * Math.exp(s.amountLogMean + amounts.normal(0, o.amountNoise));
    yield {
      user_id: `u${imp.user}`,
      item_id: `i${imp.item}`,
      category: `c${world.items.category[imp.item]!}`,
      price: imp.price,
      user_age: world.users.age[imp.user]!,
      click,
      purchase,
      amount: purchase ? orderValue : 0,
      true_ctr: trueCtr,
      true_cvr: trueCvr,
      true_ctcvr: trueCtr * trueCvr,
      true_amount: imp.price * Math.exp(s.amountLogMean + (o.amountNoise * o.amountNoise) / 2),
      buy_if_clicked: buyIfClicked,
    };
  }
}
