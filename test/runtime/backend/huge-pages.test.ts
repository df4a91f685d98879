import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { adviseHugePages, HUGE_PAGE_MIN_BYTES } from "../../../src/runtime/backend/huge-pages.js";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { writableRows } from "../../../src/runtime/backend/tensor-memory.js";
import { alignedInside, canAdvise, vmFlags } from "../../helpers/huge-pages.js";

test("a large buffer is advised to use huge pages, its values untouched; a small one is left alone", () => {
  const large = new Float32Array((16 * 1024 * 1024) / 4).map((_, i) => i * 0.5);
  const before = large.slice();
  const small = new Float32Array(HUGE_PAGE_MIN_BYTES / 4 - 1);
  assert.equal(adviseHugePages(large), canAdvise);
  assert.equal(adviseHugePages(small), false);
  assert.deepEqual(large, before);
  if (!canAdvise) return;
  assert.ok(vmFlags(alignedInside(large)).includes("hg"), "the large buffer's mapping is marked for huge pages");
});

test("MTL_HUGE_PAGES=off declines the advice", () => {
  const module = new URL("../../../src/runtime/backend/huge-pages.js", import.meta.url).href;
  const script = `import { adviseHugePages } from ${JSON.stringify(module)}; process.stdout.write(String(adviseHugePages(new Float32Array(4 << 20))));`;
  const run = (setting: string | undefined) => {
    const env = { ...process.env };
    if (setting === undefined) delete env["MTL_HUGE_PAGES"];
    else env["MTL_HUGE_PAGES"] = setting;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    return child.stdout;
  };
  assert.equal(run("off"), "false");
  assert.equal(run(undefined), String(canAdvise));
});

test("the wasm backend's heap, and the room it grows into, are advised before the first tensor", async () => {
  await selectBackend("wasm");
  try {
    // 64 MB: more than the heap held when the backend started, so it lives where the heap grew.
    const table = tf.zeros([1024, 16384]);
    const rows = writableRows(table)!;
    if (canAdvise) assert.ok(vmFlags(alignedInside(rows)).includes("hg"), "a tensor allocated after growing the heap lies in advised memory");
    table.dispose();
  } finally {
    await tf.setBackend("cpu");
  }
});
