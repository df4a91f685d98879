import assert from "node:assert/strict";
import { test } from "node:test";
import { count, duration, fixed, table } from "../../src/experiments/report/markdown.js";
import { errorBar, meanStd, summarize, summaryCell } from "../../src/experiments/stats.js";

test("summarize: mean, sample standard deviation, min and max", () => {
  const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(s.n, 8);
  assert.equal(s.mean, 5);
  assert.ok(Math.abs(s.std - Math.sqrt(32 / 7)) < 1e-12);
  assert.equal(s.min, 2);
  assert.equal(s.max, 9);
  assert.deepEqual(summarize([0.5]), { n: 1, mean: 0.5, std: 0, min: 0.5, max: 0.5 });
});

test("summarize refuses empty lists and non-finite values", () => {
  assert.throws(() => summarize([]), /at least one/);
  assert.throws(() => summarize([1, Number.NaN]), /finite/);
});

test("cells print mean ± std and the range; a single value alone", () => {
  const s = summarize([0.1, 0.2, 0.3]);
  assert.equal(meanStd(s, 3), "0.200 ± 0.100");
  assert.equal(summaryCell(s, 2), "0.20 ± 0.10 (0.10 – 0.30)");
  assert.equal(summaryCell(summarize([0.12345]), 4), "0.1235");
});

test("error bars span mean ± std, and are left out for a single value", () => {
  assert.deepEqual(errorBar(summarize([1, 3])), { low: 2 - Math.SQRT2, high: 2 + Math.SQRT2 });
  assert.deepEqual(errorBar(summarize([5])), {});
});

test("markdown tables escape pipes and check row lengths", () => {
  assert.equal(table(["a", "b"], [["x|y", "1"]], ["l", "r"]), "| a | b |\n| --- | ---: |\n| x\\|y | 1 |");
  assert.throws(() => table(["a", "b"], [["only one"]]), /1 cells for 2 columns/);
  assert.equal(fixed(Number.NaN, 3), "n/a");
  assert.equal(count(99762), "99,762");
  assert.equal(duration(42.4), "42 s");
  assert.equal(duration(245), "4 min 5 s");
});
