import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as imported from "@tensorflow/tfjs";
import * as tf from "#tfjs";
import { TFJS_MODULE_PATH, tfjsExportNames, tfjsModuleText } from "../../scripts/tfjs-module.js";
import { packageRoot } from "../../src/util/package-root.js";

test("src/runtime/tfjs.ts re-exports every name of this @tensorflow/tfjs: run `node dist/scripts/write-tfjs-module.js` after changing its version", () => {
  assert.equal(readFileSync(TFJS_MODULE_PATH, "utf8"), tfjsModuleText(), "src/runtime/tfjs.ts is stale: run `node dist/scripts/write-tfjs-module.js`, then build");
});

test('"#tfjs" is the package itself: the same objects as an import of @tensorflow/tfjs, so one engine and one set of kernels', () => {
  const names = tfjsExportNames();
  assert.ok(names.length > 400);
  assert.deepEqual(Object.keys(tf).sort(), names);
  for (const name of names) assert.equal((tf as Record<string, unknown>)[name], (imported as Record<string, unknown>)[name], name);
  assert.equal(tf.engine(), imported.engine());
});

/** `import ... from "@tensorflow/tfjs"` (not `import type`), `export ... from` it, or a bare `import "@tensorflow/tfjs-backend-wasm"`. */
const VALUE_IMPORT = /(^|\n)\s*(import|export)(?!\s+type\b)[^;]*?\bfrom\s*["']@tensorflow\/tfjs(-backend-wasm)?["']|(^|\n)\s*import\s*["']@tensorflow\/tfjs(-backend-wasm)?["']/;
const DYNAMIC_IMPORT = /(?<!typeof )\bimport\(\s*["']@tensorflow\/tfjs(-backend-wasm)?["']\s*\)/;

test('no source imports @tensorflow/tfjs but through "#tfjs" (types excepted), which spares the start-up its CommonJS scan', () => {
  const src = join(packageRoot(), "src");
  const offenders: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith(".ts") && !path.endsWith(join("runtime", "tfjs-types.ts"))) {
        const text = readFileSync(path, "utf8");
        if (VALUE_IMPORT.test(text) || DYNAMIC_IMPORT.test(text)) offenders.push(relative(packageRoot(), path));
      }
    }
  };
  visit(src);
  assert.deepEqual(offenders, [], 'import TensorFlow.js as `import * as tf from "#tfjs"` (and the wasm backend through runtime/backend/wasm-package.ts)');
});
