import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { buildPlayground, type BuildReport } from "../../scripts/playground/build.js";
import { serveStatic, type StaticServer } from "../../scripts/playground/serve.js";

/** Debian's chromium package; the tests never download a browser. */
export const CHROMIUM = process.env["MTL_CHROMIUM"] ?? "/usr/bin/chromium";

/** Where each end-to-end test writes its screenshots, for a person to look at. */
export const SCREENSHOTS = join(tmpdir(), "mtl-playground-screenshots");

/**
 * Why the browser tests cannot run here, or null. Under CI=true a missing
 * chromium fails the tests (.ci/run installs it); elsewhere they are skipped
 * with the reason.
 */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const why = `no chromium at ${CHROMIUM} (apt-get install chromium, or set MTL_CHROMIUM)`;
  if (process.env["CI"] === "true") throw new Error(why);
  return why;
}

export interface Playground {
  build: BuildReport;
  server: StaticServer;
  browser: Browser;
  /** A fresh page on the playground (downloads accepted), with page errors collected in `errors`. */
  open(hash?: string): Promise<{ page: Page; errors: string[] }>;
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

/** Builds the site once (into a temp folder), serves it on 127.0.0.1 and starts headless chromium. */
export async function startPlayground(): Promise<Playground> {
  const out = mkdtempSync(join(tmpdir(), "mtl-playground-"));
  const build = await buildPlayground({ out });
  const server = await serveStatic(out);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    build,
    server,
    browser,
    async open(hash = "") {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(server.url + hash);
      await page.waitForFunction(() => (globalThis as unknown as { mtlPlayground?: { timings: { firstCheck?: number } } }).mtlPlayground?.timings.firstCheck !== undefined, null, { timeout: 30_000 });
      return { page, errors };
    },
    async screenshot(page, name) {
      const path = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    async close() {
      await browser.close();
      await server.close();
      rmSync(out, { recursive: true, force: true });
    },
  };
}

/** The files of a zip archive stored without compression (what the playground's model download is). */
export function unzipStored(data: Uint8Array): Map<string, Uint8Array> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const files = new Map<string, Uint8Array>();
  let at = 0;
  while (at + 30 <= data.length && view.getUint32(at, true) === 0x04034b50) {
    if (view.getUint16(at + 8, true) !== 0) throw new Error("a compressed entry: expected stored");
    const size = view.getUint32(at + 18, true);
    const nameLength = view.getUint16(at + 26, true);
    const extra = view.getUint16(at + 28, true);
    const name = new TextDecoder().decode(data.subarray(at + 30, at + 30 + nameLength));
    const start = at + 30 + nameLength + extra;
    files.set(name, data.subarray(start, start + size));
    at = start + size;
  }
  return files;
}

/** The editor's whole text, read from CodeMirror's view. */
export function editorText(page: Page): Promise<string> {
  return page.evaluate("mtlPlayground.text()") as Promise<string>;
}

/** Replaces the whole text the way a paste does. */
export async function replaceText(page: Page, text: string): Promise<void> {
  await page.click(".cm-content");
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(text);
}
