import assert from "node:assert/strict";
import { test } from "node:test";
import { esmmColumns, generateEsmm } from "../../../src/data/synthetic/esmm.js";
import { ESMM_LOG_COLUMNS, esmmLogColumns, generateEsmmLog, NO_PREVIOUS_ITEM } from "../../../src/data/synthetic/esmm-log.js";

const ROWS = 6000;
const KEEP = 0.25;
const log = [...generateEsmmLog({ rows: ROWS, seed: 5, keepNegatives: KEEP })];

test("the log has the rows asked for, every column of the world and its own, and is deterministic", () => {
  assert.equal(log.length, ROWS);
  assert.deepEqual(esmmLogColumns(), [...esmmColumns(), ...ESMM_LOG_COLUMNS]);
  for (const row of log.slice(0, 50)) assert.deepEqual(Object.keys(row).sort(), [...esmmLogColumns()].sort());
  assert.deepEqual([...generateEsmmLog({ rows: 200, seed: 5, keepNegatives: KEEP })], log.slice(0, 200), "a shorter log is the start of a longer one");
});

test("it is the world's impressions with negatives down-sampled: every click kept, the last item is the user's previous impression's", () => {
  const world = generateEsmm({ rows: Number.MAX_SAFE_INTEGER, seed: 5 });
  const previous = new Map<string, string>();
  let worldClicks = 0;
  let worldRows = 0;
  for (const row of log) {
    // Walk the world's stream to this row: what is skipped must be a non-click.
    for (;;) {
      const next = world.next().value!;
      worldRows++;
      worldClicks += next.click;
      const last = previous.get(next.user_id) ?? NO_PREVIOUS_ITEM;
      previous.set(next.user_id, next.item_id);
      if (next.item_id === row.item_id && next.user_id === row.user_id && next.price === row.price && next.true_ctr === row.true_ctr) {
        assert.equal(row.click, next.click);
        assert.equal(row.last_item_id, last);
        break;
      }
      assert.equal(next.click, 0, "a dropped impression was not clicked");
    }
    assert.equal(row.imp_weight, row.click === 1 ? 1 : 1 / KEEP);
    assert.equal(row.order_weight, row.imp_weight * (1 + Math.log1p(row.amount)));
  }
  assert.ok(log.some((r) => r.last_item_id !== NO_PREVIOUS_ITEM) && log.some((r) => r.last_item_id === NO_PREVIOUS_ITEM));
  // The weights undo the sampling: the weighted click rate is the world's, the plain one is not.
  const weighted = log.reduce((s, r) => s + r.imp_weight * r.click, 0) / log.reduce((s, r) => s + r.imp_weight, 0);
  const plain = log.reduce((s, r) => s + r.click, 0) / log.length;
  const truth = worldClicks / worldRows;
  assert.ok(Math.abs(weighted - truth) < 0.15 * truth, `weighted CTR ${weighted} near the world's ${truth}`);
  assert.ok(plain > 2 * truth, `unweighted CTR ${plain} is inflated by the sampling`);
});

test("a keep probability outside (0, 1] is refused", () => {
  assert.throws(() => generateEsmmLog({ rows: 1, keepNegatives: 0 }).next(), /keepNegatives must be in \(0, 1\]/);
});
