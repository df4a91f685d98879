/**
 * mtl as a library: compile specs, pick a backend, and score candidates with
 * a trained model folder from a Node service. The CLI (`mtl`) is built on the
 * same modules.
 */
export { compileFile, compileSource, type CompileOptions, type CompileResult } from "./compiler.js";
export type { Diagnostic, Fix, Severity } from "./diagnostics/diagnostic.js";
export type { ModelIR, ValidIR } from "./ir/types.js";
export { selectBackend, type BackendName, type BackendSelection } from "./runtime/backend/select.js";
export { loadScorer, type Candidate, type Scorer } from "./serve/scorer.js";
export { DataError } from "./data/record.js";
