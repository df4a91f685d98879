import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { adviseHugePages, HUGE_PAGE_MIN_BYTES } from "../../../src/runtime/backend/huge-pages.js";
import { loadKoffi } from "../../../src/runtime/backend/koffi.js";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { writableRows } from "../../../src/runtime/backend/tensor-memory.js";

/** Where the advice can be given: Linux with koffi. Elsewhere every call must decline. */
const koffi = loadKoffi();
const canAdvise = process.platform === "linux" && typeof koffi !== "string";

/** The VmFlags of the mapping holding `address` in /proc/self/smaps. */
function vmFlags(address: bigint): string[] {
  for (const block of readFileSync("/proc/self/smaps", "utf8").split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    const [start, end] = block.slice(0, block.indexOf(" ")).split("-").map((h) => BigInt(`0x${h}`));
    if (address >= start! && address < end!) return (/VmFlags:(.*)/.exec(block)?.[1] ?? "").trim().split(/\s+/);
  }
  throw new Error(`no mapping holds 0x${address.toString(16)}`);
}

/** An address inside `view` that a 2 MiB page aligned within it covers (views of at least 4 MiB have one). */
function alignedInside(view: ArrayBufferView): bigint {
  const start = (koffi as Exclude<typeof koffi, string>).address(view);
  const huge = 2n * 1024n * 1024n;
  return ((start + huge - 1n) / huge) * huge;
}

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
