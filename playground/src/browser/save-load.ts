/**
 * Browser version of src/runtime/graph/save-load.ts, which reads and writes
 * model folders on disk. A page has no folders: the playground builds the
 * model folder in memory (../model-folder.ts, from the same model-json.ts)
 * and offers it as a download, so the disk functions say so if called.
 */
import type * as tf from "@tensorflow/tfjs";
// Loading must be able to rebuild the custom layers whoever imports this module.
import "../../../src/portable/layers.js";
import { MODEL_JSON } from "../../../src/runtime/graph/model-json.js";

export { MODEL_JSON };

function noFolders(): never {
  throw new Error("a web page cannot read or write model folders on disk; use the playground's model download");
}

export function fileSystemHandler(_dir: string): tf.io.IOHandler {
  return noFolders();
}

export async function saveModel(_model: tf.LayersModel, _dir: string): Promise<tf.io.SaveResult> {
  return noFolders();
}

export async function loadModel(_dir: string): Promise<tf.LayersModel> {
  return noFolders();
}
