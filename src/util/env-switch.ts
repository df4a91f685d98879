/**
 * The words an MTL_* environment switch understands (MTL_BLAS, MTL_FUSED,
 * MTL_FUSED_PREDICT, MTL_FUSED_SIMD, MTL_HUGE_PAGES, MTL_SPLIT_CSV, MTL_WASM_ADAM, MTL_WASM_TABLES), case and surrounding blanks ignored, so every switch
 * reads the same way.
 */
const OFF_WORDS = new Set(["off", "0", "none", "false", "no"]);
const ON_WORDS = new Set(["on", "1", "true", "yes"]);

/** True when `setting` turns a switch off. */
export function switchedOff(setting: string | undefined): boolean {
  return setting !== undefined && OFF_WORDS.has(setting.trim().toLowerCase());
}

/** True when `setting` turns a switch on. */
export function switchedOn(setting: string | undefined): boolean {
  return setting !== undefined && ON_WORDS.has(setting.trim().toLowerCase());
}

/** An environment variable where there is an environment (Node), read per call so that tests can switch; a page has none. */
export function envSetting(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}
