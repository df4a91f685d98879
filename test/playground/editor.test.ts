/**
 * The playground's editor end to end in headless chromium: the checker's
 * diagnostics as you type (the same codes and messages as `mtl check`), the
 * quick fix, hover and completion, the examples, the share link, and
 * exporting and importing a spec. Screenshots: see SCREENSHOTS.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { chromiumMissing, editorText, replaceText, startPlayground, type Playground } from "../helpers/playground.js";
import { repoRoot } from "../helpers/paths.js";

const skip = chromiumMissing() ?? false;
const SPECS = join(repoRoot(), "specs");
const MMOE = readFileSync(join(SPECS, "mmoe.mtl"), "utf8");
let playground: Playground;

before(async () => {
  if (!skip) playground = await startPlayground();
});
after(async () => playground?.close());

test("typing an error shows the checker's squiggle and message, and its quick fix repairs it", { skip }, async () => {
  const { page, errors } = await playground.open();
  assert.equal(await editorText(page), MMOE, "the page opens on mmoe.mtl");
  await page.waitForSelector("#graph svg");
  assert.match((await page.textContent("#status")) ?? "", /^no problems/);

  // Type one letter after `g_ctr` in `tower ctr_tower = mlp(g_ctr, [32])`.
  await page.locator(".cm-line", { hasText: "tower ctr_tower = mlp(g_ctr, [32])" }).click();
  await page.keyboard.press("End");
  for (let i = 0; i < ", [32])".length; i++) await page.keyboard.press("ArrowLeft");
  await page.keyboard.type("r");
  const typed = MMOE.replace("mlp(g_ctr,", "mlp(g_ctrr,");
  await page.waitForSelector(".cm-lintRange-error");
  assert.equal(await page.textContent(".cm-lintRange-error"), "g_ctrr", "the squiggle is under the unknown name");
  await page.waitForFunction("document.querySelectorAll('#problems li').length > 0");
  const expected = compileSource(typed, "playground.mtl").diagnostics;
  assert.deepEqual(await page.locator("#problems li .message").allTextContents(), expected.map((d) => d.message), "the messages are mtl check's");
  assert.deepEqual(
    await page.locator("#problems li .where").allTextContents(),
    expected.map((d) => `${d.range.start.line}:${d.range.start.column} ${d.code}`),
  );
  await page.hover(".cm-lintRange-error");
  await page.waitForSelector(".cm-tooltip-lint");
  assert.match((await page.textContent(".cm-tooltip-lint")) ?? "", /Cannot find 'g_ctrr'.*Did you mean 'g_ctr'\?/);
  await playground.screenshot(page, "editor-error");

  await page.click("#problems button.fix:has-text(\"Change 'g_ctrr' to 'g_ctr'\")");
  await page.waitForFunction("document.querySelectorAll('#problems li').length === 0");
  assert.equal(await editorText(page), MMOE, "the fix restores the spec");
  assert.equal(await page.$(".cm-lintRange-error"), null);
  await playground.screenshot(page, "editor-fixed");
  assert.deepEqual(errors, []);
  await page.close();
});

test("hover explains a constructor and completion offers the schema's names", { skip }, async () => {
  const { page } = await playground.open();
  await page.locator(".cm-line", { hasText: "expert e[4] = mlp(x" }).locator("text=mlp").hover();
  await page.waitForSelector(".mtl-hover");
  assert.match((await page.textContent(".mtl-hover")) ?? "", /mlp\(/);
  await playground.screenshot(page, "editor-hover");

  await page.locator(".cm-line", { hasText: "optimizer: adam(lr: 0.001)" }).click();
  await page.keyboard.press("End");
  await page.keyboard.press("Enter");
  await page.keyboard.type("  we");
  await page.keyboard.press("Control+Space");
  await page.waitForSelector(".cm-tooltip-autocomplete");
  const options = await page.locator(".cm-tooltip-autocomplete li").allTextContents();
  assert.ok(options.some((o) => o.startsWith("weighting")), `completion offers the train block's 'weighting' (got ${options.join(", ")})`);
  await playground.screenshot(page, "editor-completion");
  await page.close();
});

test("every example spec is one click away, checks clean, and draws its picture", { skip }, async () => {
  const { page } = await playground.open();
  const buttons = await page.locator("#examples button").evaluateAll((items) => items.map((i) => i.getAttribute("data-example")!));
  const files = readdirSync(SPECS).filter((f) => f.endsWith(".mtl"));
  assert.deepEqual([...buttons].sort(), [...files, "mmoe-synthetic.mtl"].sort(), "the page offers specs/*.mtl and the MMoE experiment's spec");
  for (const name of buttons) {
    await page.click(`#examples button[data-example="${name}"]`);
    const text = files.includes(name) ? readFileSync(join(SPECS, name), "utf8") : await editorText(page);
    assert.equal(await editorText(page), text);
    const model = compileSource(text, name).ir!.model.name;
    await page.waitForFunction(`document.querySelector("#graph:not(.stale) svg title")?.textContent === ${JSON.stringify(model)}`, null, { timeout: 20_000 });
    assert.match((await page.textContent("#status")) ?? "", /^no problems/, `${name} checks clean`);
    if (name === "esmm.mtl") await playground.screenshot(page, "examples-esmm");
  }
  await page.close();
});

test("the spec survives export, import and the share link", { skip }, async () => {
  const { page } = await playground.open();
  await page.click('#examples button[data-example="ple.mtl"]');
  const edited = readFileSync(join(SPECS, "ple.mtl"), "utf8") + "\n# edited in the playground: é\n";
  await replaceText(page, edited);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-spec")]);
  const exported = join(tmpdir(), `mtl-playground-${process.pid}-${download.suggestedFilename()}`);
  await download.saveAs(exported);
  assert.equal(readFileSync(exported, "utf8"), edited, "the download is the editor's text");
  assert.match(download.suggestedFilename(), /\.mtl$/);

  const [ts] = await Promise.all([page.waitForEvent("download"), page.click("#export-ts")]);
  const tsPath = join(tmpdir(), `mtl-playground-${process.pid}-${ts.suggestedFilename()}`);
  await ts.saveAs(tsPath);
  assert.match(readFileSync(tsPath, "utf8"), /export function buildModel\(/, "the TypeScript module builds the model");

  await replaceText(page, "model other\n");
  await page.setInputFiles("#import-spec", exported);
  await page.waitForFunction(`mtlPlayground.text() === ${JSON.stringify(edited)}`);
  assert.equal(await editorText(page), edited, "the imported file replaces the text");
  await playground.screenshot(page, "spec-imported");

  await page.waitForFunction("location.hash.startsWith('#spec=')");
  await page.waitForTimeout(400);
  const link = page.url();
  const second = await playground.open(link.slice(link.indexOf("#")));
  assert.equal(await editorText(second.page), edited, "the share link holds the spec");
  await second.page.close();
  rmSync(exported);
  rmSync(tsPath);
  await page.close();
});

test("once loaded, the page works offline: reload, check, picture and the TypeScript module", { skip }, async () => {
  const { page } = await playground.open();
  await page.waitForFunction("navigator.serviceWorker.controller !== null || navigator.serviceWorker.ready.then(() => true)");
  await page.evaluate("navigator.serviceWorker.ready");
  await page.context().setOffline(true);
  await page.reload();
  await page.waitForFunction("mtlPlayground.timings.firstCheck !== undefined");
  await page.waitForSelector("#graph svg");
  await replaceText(page, readFileSync(join(SPECS, "esmm.mtl"), "utf8"));
  await page.waitForFunction(`document.querySelector("#graph:not(.stale) svg title")?.textContent === "esmm"`, null, { timeout: 20_000 });
  const [ts] = await Promise.all([page.waitForEvent("download"), page.click("#export-ts")]);
  const tsPath = join(tmpdir(), `mtl-playground-offline-${process.pid}.ts`);
  await ts.saveAs(tsPath);
  assert.match(readFileSync(tsPath, "utf8"), /export function buildModel\(/);
  rmSync(tsPath);
  await playground.screenshot(page, "offline");
  await page.close();
});
