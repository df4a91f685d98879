/** Writes src/runtime/tfjs.ts (scripts/tfjs-module.ts); run after changing the @tensorflow/tfjs version, then build. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { TFJS_MODULE_PATH, tfjsModuleText } from "./tfjs-module.js";

const text = tfjsModuleText();
if (existsSync(TFJS_MODULE_PATH) && readFileSync(TFJS_MODULE_PATH, "utf8") === text) console.log(`${TFJS_MODULE_PATH} is up to date`);
else {
  writeFileSync(TFJS_MODULE_PATH, text);
  console.log(`wrote ${TFJS_MODULE_PATH}`);
}
