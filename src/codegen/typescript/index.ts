/**
 * The TypeScript back end: a trained model as a standalone, readable
 * TypeScript module that depends on TensorFlow.js only (see emit.ts for what
 * the module contains, and docs in test/codegen/typescript for the checks).
 */
import { format } from "prettier";
import { validateEncoding, type EncodingState } from "../../data/encode/state.js";
import type { ValidIR } from "../../ir/types.js";
import { emitModule } from "./emit.js";

export interface TypeScriptOptions {
  /**
   * The fitted statistics of a trained model (its folder's encoding.json),
   * embedded as TRAINED_ENCODING and used by default. Without them the
   * generated encode() and predict() take an Encoding argument (when the
   * spec has numeric features).
   */
  encoding?: EncodingState;
  /** The TensorFlow.js package the module imports (default "@tensorflow/tfjs"). */
  tfjsPackage?: "@tensorflow/tfjs" | "@tensorflow/tfjs-node";
}

/** The module's source, formatted with prettier; the same IR and options give the same bytes. */
export async function generateTypeScript(ir: ValidIR, options: TypeScriptOptions = {}): Promise<string> {
  if (options.encoding !== undefined) validateEncoding(options.encoding, ir);
  const source = emitModule(ir, {
    tfjsPackage: options.tfjsPackage ?? "@tensorflow/tfjs",
    ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
  });
  return format(source, { parser: "typescript", printWidth: 110 });
}
