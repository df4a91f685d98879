import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createEsmmWorld,
  esmmColumns,
  generateEsmm,
  ESMM_DEFAULTS,
  ESMM_FEATURE_COLUMNS,
  ESMM_LABEL_COLUMNS,
  ESMM_TRUTH_COLUMNS,
  type EsmmRow,
  type EsmmSyntheticOptions,
} from "../../../src/data/synthetic/esmm.js";
import { auc } from "../../../src/metrics/auc.js";

interface Summary {
  rows: number;
  clicks: number;
  purchases: number;
  meanTrueCtr: number;
  /** Click-weighted mean of true_cvr: the expected purchases per click. */
  expectedCvr: number;
  meanCvrAll: number;
  meanCvrClicked: number;
}

function summarize(rows: EsmmRow[]): Summary {
  let clicks = 0;
  let purchases = 0;
  let ctr = 0;
  let ctcvr = 0;
  let cvrAll = 0;
  let cvrClicked = 0;
  for (const r of rows) {
    clicks += r.click;
    purchases += r.purchase;
    ctr += r.true_ctr;
    ctcvr += r.true_ctcvr;
    cvrAll += r.true_cvr;
    if (r.click === 1) cvrClicked += r.true_cvr;
  }
  return {
    rows: rows.length,
    clicks,
    purchases,
    meanTrueCtr: ctr / rows.length,
    expectedCvr: ctcvr / ctr,
    meanCvrAll: cvrAll / rows.length,
    meanCvrClicked: cvrClicked / clicks,
  };
}

function relErr(actual: number, expected: number): number {
  return Math.abs(actual - expected) / expected;
}

// One default data set shared by the tests that only read it.
const N = 200000;
const rows = [...generateEsmm({ rows: N, seed: 1 })];
const summary = summarize(rows);

test("rows have the documented columns, in order, with the right types", () => {
  const cols = esmmColumns();
  assert.deepEqual(cols, [...ESMM_FEATURE_COLUMNS, ...ESMM_LABEL_COLUMNS, ...ESMM_TRUTH_COLUMNS]);
  assert.deepEqual(cols, [
    "user_id", "item_id", "category", "price", "user_age",
    "click", "purchase", "amount",
    "true_ctr", "true_cvr", "true_ctcvr", "true_amount", "buy_if_clicked",
  ]);
  for (const r of rows.slice(0, 1000)) {
    assert.deepEqual(Object.keys(r), cols);
    assert.match(r.user_id, /^u\d+$/);
    assert.match(r.item_id, /^i\d+$/);
    assert.match(r.category, /^c\d+$/);
    assert.ok(r.price >= 0.01 && Number.isFinite(r.price));
    assert.ok(Math.abs(r.price * 100 - Math.round(r.price * 100)) < 1e-6, `price in cents: ${r.price}`);
    assert.ok(Number.isInteger(r.user_age) && r.user_age >= 18 && r.user_age <= 80);
  }
  // Assignable to the generic record shape readers and writers use.
  const asRecord: Record<string, string | number> = rows[0]!;
  assert.equal(typeof asRecord["true_ctr"], "number");
});

test("deterministic for a seed; a longer run extends a shorter one", () => {
  const opts: EsmmSyntheticOptions = { rows: 300, seed: "det", users: 100, items: 50, categories: 5, calibrationSamples: 2000 };
  const a = [...generateEsmm(opts)];
  assert.deepEqual([...generateEsmm(opts)], a);
  assert.deepEqual([...generateEsmm({ ...opts, rows: 120 })], a.slice(0, 120));
  assert.notDeepEqual([...generateEsmm({ ...opts, seed: "other" })], a);
  assert.deepEqual(rows.slice(0, 500), [...generateEsmm({ rows: 500, seed: 1 })]);
});

test("labels are consistent: purchase = click AND buy_if_clicked; amount > 0 exactly on purchases", () => {
  for (const r of rows) {
    assert.ok(r.click === 0 || r.click === 1);
    assert.ok(r.buy_if_clicked === 0 || r.buy_if_clicked === 1);
    assert.equal(r.purchase, r.click & r.buy_if_clicked);
    if (r.purchase === 1) assert.equal(r.click, 1);
    assert.equal(r.amount > 0, r.purchase === 1);
    assert.ok(r.true_amount > 0);
  }
});

test("ground truth: probabilities in (0, 1) on every row and true_ctcvr = true_ctr * true_cvr", () => {
  for (const r of rows) {
    assert.ok(r.true_ctr > 0 && r.true_ctr < 1);
    assert.ok(r.true_cvr > 0 && r.true_cvr < 1);
    assert.ok(Math.abs(r.true_ctcvr - r.true_ctr * r.true_cvr) <= 1e-15);
  }
});

test("click and conversion rates match the configured ones", () => {
  assert.equal(ESMM_DEFAULTS.ctr, 0.04);
  assert.equal(ESMM_DEFAULTS.cvr, 0.1);
  // Calibration is on a separate sample, so the truth is close but not exact.
  assert.ok(relErr(summary.meanTrueCtr, 0.04) < 0.05, `mean true_ctr ${summary.meanTrueCtr}`);
  assert.ok(relErr(summary.expectedCvr, 0.1) < 0.05, `expected cvr ${summary.expectedCvr}`);
  // Realised rates add Bernoulli noise: ~8000 clicks (sd 1.1%) and ~800 purchases (sd 3.5%).
  assert.ok(relErr(summary.clicks / N, 0.04) < 0.08, `ctr ${summary.clicks / N}`);
  assert.ok(relErr(summary.purchases / summary.clicks, 0.1) < 0.15, `cvr ${summary.purchases / summary.clicks}`);
});

test("other targets are reached too", () => {
  const s = summarize([...generateEsmm({ rows: 50000, seed: 2, ctr: 0.15, cvr: 0.3 })]);
  assert.ok(relErr(s.clicks / s.rows, 0.15) < 0.08, `ctr ${s.clicks / s.rows}`);
  assert.ok(relErr(s.purchases / s.clicks, 0.3) < 0.1, `cvr ${s.purchases / s.clicks}`);
});

test("selection bias: clicked rows are not a fair sample for CVR", () => {
  // Mean true_cvr over clicks vs over all impressions: 1.3x to 1.55x for seeds 0..5.
  const ratio = summary.meanCvrClicked / summary.meanCvrAll;
  assert.ok(ratio > 1.2, `clicked ${summary.meanCvrClicked} vs all ${summary.meanCvrAll}`);
  // The counterfactual outcomes agree with the truth on the entire space.
  let buys = 0;
  for (const r of rows) buys += r.buy_if_clicked;
  assert.ok(relErr(buys / N, summary.meanCvrAll) < 0.03, `buy_if_clicked ${buys / N} vs ${summary.meanCvrAll}`);
  // So a CVR estimate from clicked rows (purchases / clicks) overshoots the entire-space rate.
  assert.ok(summary.purchases / summary.clicks > 1.15 * (buys / N));
});

test("the truth ranks its own outcomes, on the entire space as well as on clicks", () => {
  const ctr = rows.map((r) => r.true_ctr);
  const cvr = rows.map((r) => r.true_cvr);
  const click = rows.map((r) => r.click);
  const buy = rows.map((r) => r.buy_if_clicked);
  assert.ok(auc(ctr, click) > 0.7);
  assert.ok(auc(cvr, buy) > 0.7);
  assert.ok(auc(cvr, buy, click) > 0.65);
  assert.ok(auc(rows.map((r) => r.true_ctcvr), rows.map((r) => r.purchase)) > auc(ctr, rows.map((r) => r.purchase)));
});

test("order values: log-normal around the price with mean true_amount", () => {
  let ratio = 0;
  let n = 0;
  for (const r of rows) {
    if (r.purchase === 0) continue;
    ratio += r.amount / r.true_amount;
    n++;
  }
  // E[amount / true_amount | purchase] = 1; sd of the ratio is about 0.3, so 800 purchases give 0.011.
  assert.ok(Math.abs(ratio / n - 1) < 0.05, `mean ratio ${ratio / n}`);
  // Without noise every order is worth exactly its expectation.
  const exact = [...generateEsmm({ rows: 50, amountNoise: 0, ctr: 0.9, cvr: 0.9, calibrationSamples: 1000 })];
  const bought = exact.filter((x) => x.purchase === 1);
  assert.ok(bought.length > 20);
  for (const x of bought) assert.ok(Math.abs(x.amount - x.true_amount) < 1e-9 * x.true_amount);
});

test("ids: thousands of users, a long item tail, at most `categories` categories", () => {
  const count = (key: "user_id" | "item_id" | "category") => {
    const m = new Map<string, number>();
    for (const r of rows) m.set(r[key], (m.get(r[key]) ?? 0) + 1);
    return [...m.values()].sort((a, b) => b - a);
  };
  const users = count("user_id");
  const items = count("item_id");
  const cats = count("category");
  assert.ok(users.length > 4500 && users.length <= 5000, `${users.length} users`);
  assert.ok(items.length > 1900 && items.length <= 2000, `${items.length} items`);
  assert.ok(cats.length > 50 && cats.length <= 100, `${cats.length} categories`);
  // Zipf popularity: the top item has far more impressions than the median one.
  assert.ok(items[0]! > 20 * items[Math.floor(items.length / 2)]!);
  assert.ok(users[0]! < 0.02 * N, "no single user dominates");
});

test("with one seed, changing the conversion target leaves every click as it was", () => {
  const opts: EsmmSyntheticOptions = { rows: 5000, seed: 3, calibrationSamples: 5000 };
  const a = [...generateEsmm(opts)];
  const b = [...generateEsmm({ ...opts, cvr: 0.3 })];
  assert.deepEqual(a.map((r) => r.click), b.map((r) => r.click));
  assert.deepEqual(a.map((r) => r.item_id), b.map((r) => r.item_id));
  assert.ok(b.reduce((s, r) => s + r.purchase, 0) > a.reduce((s, r) => s + r.purchase, 0));
});

test("the world exposes the calibrated intercepts and entity traits", () => {
  const w = createEsmmWorld({ rows: 0, seed: 1 });
  assert.ok(w.ctrIntercept < -2 && w.cvrIntercept < 0);
  assert.equal(w.users.age.length, 5000);
  assert.equal(w.items.taste.length, 2000 * 8);
  const bait = w.items.clickbait.reduce((s, b) => s + b, 0) / 2000;
  assert.ok(Math.abs(bait - 0.15) < 0.03, `clickbait share ${bait}`);
  assert.deepEqual(createEsmmWorld({ rows: 0, seed: 1 }), w);
});

test("rejects impossible options", () => {
  const bad: EsmmSyntheticOptions[] = [
    { rows: -1 },
    { rows: 1, ctr: 0 },
    { rows: 1, cvr: 1 },
    { rows: 1, users: 0 },
    { rows: 1, items: 2.5 },
    { rows: 1, clickbaitFraction: 1.5 },
    { rows: 1, amountNoise: -1 },
    { rows: 1, calibrationSamples: 0 },
  ];
  for (const opts of bad) assert.throws(() => createEsmmWorld(opts), RangeError, JSON.stringify(opts));
});
