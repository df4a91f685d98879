import { serializeEncoding, type EncodingState } from "../data/encode/index.js";
import type { ModelIR } from "../ir/types.js";

export interface ModelDirTextContents {
  ir: ModelIR;
  encoding: EncodingState;
  spec: string;
  metrics: unknown;
}

/**
 * A model folder's text files besides model.json and the run record, in the
 * order its manifest lists them. Apart from folder.ts (which writes them to
 * disk) so that the browser playground builds the same folder in memory.
 */
export function modelDirTexts(contents: ModelDirTextContents): [name: string, text: string][] {
  return [
    ["encoding.json", serializeEncoding(contents.encoding)],
    ["ir.json", JSON.stringify(contents.ir, null, 2) + "\n"],
    ["spec.mtl", contents.spec],
    ["metrics.json", JSON.stringify(contents.metrics, null, 2) + "\n"],
  ];
}
