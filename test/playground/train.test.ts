/**
 * Training in the playground end to end in headless chromium: 200 steps of
 * mmoe.mtl on the ESMM world with the wasm backend, stop and resume, per-task
 * AUC above 0.6 on held-out rows, and a model folder download that mtl itself
 * opens and verifies; then every example the page lists trains a few steps on
 * its data and scores every task evaluation scores. Screenshots: see SCREENSHOTS.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { loadModelDir } from "../../src/model-dir/folder.js";
import { chromiumMissing, editorText, replaceText, startPlayground, unzipStored, type Playground } from "../helpers/playground.js";

const skip = chromiumMissing() ?? false;
let playground: Playground;

before(async () => {
  if (!skip) playground = await startPlayground();
});
after(async () => playground?.close());

test("trains 200 steps with stop and resume, reaches AUC above 0.6, and downloads a model folder mtl opens", { skip }, async () => {
  const { page, errors } = await playground.open();
  await page.fill("#steps", "200");
  await page.click("#train");
  await page.waitForFunction("/^step ([3-9]\\d|1\\d\\d)/.test(document.getElementById('step').textContent)", null, { timeout: 60_000 });
  await page.click("#stop");
  await page.waitForFunction("document.getElementById('train-panel').dataset.state === 'paused'");
  const stoppedAt = await page.textContent("#step");
  await page.waitForTimeout(500);
  assert.equal(await page.textContent("#step"), stoppedAt, "no step runs while stopped");
  assert.match((await page.textContent("#train-info")) ?? "", /ESMM world: .* wasm backend/);
  await playground.screenshot(page, "train-stopped");

  await page.click("#resume");
  await page.waitForFunction("document.getElementById('train-panel').dataset.state === 'done'", null, { timeout: 120_000 });
  assert.match((await page.textContent("#step")) ?? "", /^step 200 \/ 200, loss \d/);
  const rows = await page.locator("#metrics tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
  assert.deepEqual(rows.map((r) => [r[0], r[2]]), [["ctr", "AUC"], ["cvr", "AUC"]]);
  for (const [task, , , value] of rows) assert.ok(Number(value) > 0.6, `${task}: AUC ${value} > 0.6`);
  assert.equal(await page.locator("#auc-chart polyline").count(), 2, "one AUC curve per task");
  await playground.screenshot(page, "train-done");

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-model")]);
  const zipPath = join(tmpdir(), `mtl-playground-${process.pid}.zip`);
  await download.saveAs(zipPath);
  const dir = mkdtempSync(join(tmpdir(), "mtl-playground-model-"));
  for (const [name, bytes] of unzipStored(readFileSync(zipPath))) {
    const [folder, file] = name.split("/");
    assert.equal(folder, "mmoe-model");
    mkdirSync(join(dir, folder!), { recursive: true });
    writeFileSync(join(dir, folder!, file!), bytes);
  }
  const model = await loadModelDir(join(dir, "mmoe-model"));
  try {
    assert.deepEqual(model.model.outputNames, ["ctr", "cvr"]);
    assert.equal(model.spec, readFileSync(join(dir, "mmoe-model", "spec.mtl"), "utf8"));
    const metrics = JSON.parse(readFileSync(join(dir, "mmoe-model", "metrics.json"), "utf8")) as unknown;
    assert.match(JSON.stringify(metrics), /"auc"/);
  } finally {
    model.model.dispose();
    rmSync(dir, { recursive: true, force: true });
    rmSync(zipPath, { force: true });
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test("every example the page lists trains and scores each task it evaluates", { skip }, async () => {
  const { page, errors } = await playground.open();
  const examples = await page.locator("#examples button").evaluateAll((items) => items.map((i) => i.getAttribute("data-example")!));
  assert.ok(examples.includes("esmm-weighted.mtl") && examples.length >= 10, `the page lists the examples (got ${examples.join(", ")})`);
  await page.fill("#steps", "3");
  for (const name of examples) {
    await page.click(`#examples button[data-example="${name}"]`);
    const ir = compileSource(await editorText(page), name).ir!;
    // The page has checked this example when its picture is drawn.
    await page.waitForFunction(`document.querySelector("#graph:not(.stale) svg title")?.textContent === ${JSON.stringify(ir.model.name)}`, null, { timeout: 20_000 });
    await page.click("#train");
    await page.waitForFunction("document.getElementById('train-panel').dataset.state !== 'running' || document.getElementById('train-error').textContent !== ''", null, { timeout: 60_000 });
    assert.equal(await page.textContent("#train-error"), "", `${name} trains`);
    assert.equal(await page.getAttribute("#train-panel", "data-state"), "done", `${name} trains to the end`);
    assert.match((await page.textContent("#step")) ?? "", /^step 3 \/ 3, loss \d/, `${name}: a finite loss`);
    const rows = await page.locator("#metrics tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
    const scored = ir.tasks.filter((t) => t.evaluation !== null).map((t) => t.name);
    assert.deepEqual(rows.map((r) => r[0]), scored, `${name}: a metric per scored task`);
    for (const [task, , metric, value] of rows) assert.ok(Number.isFinite(Number(value)), `${name}: ${task}'s ${metric} is a number (got ${value})`);
    if (name === "census-mmoe.mtl") assert.match((await page.textContent("#train-info")) ?? "", /^Census-Income sample: .*Data: Lane, T\. & Kohavi, R\..*CC BY 4\.0/, "real data names its source and licence");
    if (name === "esmm-weighted.mtl") {
      assert.match((await page.textContent("#train-info")) ?? "", /^ESMM world as a log/);
      await playground.screenshot(page, "train-esmm-weighted");
    }
  }
  // A spec no built-in data can train: the message names the column and what the data has.
  await replaceText(page, "model nowhere\nfeature size : numeric()\ninput x = concat(*)\ntower t = mlp(x, [2])\ntask y : binary = t label click\n");
  await page.waitForFunction(`document.querySelector("#graph:not(.stale) svg title")?.textContent === "nowhere"`, null, { timeout: 20_000 });
  await page.click("#train");
  await page.waitForFunction("document.getElementById('train-error').textContent !== ''", null, { timeout: 30_000 });
  assert.match((await page.textContent("#train-error")) ?? "", /built-in data, which has no column 'size': read columns of the ESMM world \(.*\), of the MMoE generator .* or of the census sample/);
  assert.deepEqual(errors, []);
  await page.close();
});
