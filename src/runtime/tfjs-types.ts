/**
 * The types of "#tfjs" (package.json "imports"): those of @tensorflow/tfjs.
 * At run time "#tfjs" is src/runtime/tfjs.ts, which requires the package
 * (scripts/tfjs-module.ts says why); this module is not loaded in Node. The
 * browser playground bundles it as "#tfjs", an ordinary import there.
 */
export * from "@tensorflow/tfjs";
