import * as tf from "#tfjs";
import { AVAILABLE, type Availability, firstLine, unavailable } from "./availability.js";

/** The name tfjs-node registers its backend under. */
export const TFJS_NODE_BACKEND = "tensorflow";

/**
 * Held in a variable so that neither TypeScript nor a bundler tries to resolve
 * it: tfjs-node is an optional native add-on that most machines don't have.
 */
const TFJS_NODE_MODULE: string = "@tensorflow/tfjs-node";

/**
 * Loads @tensorflow/tfjs-node if it is installed and makes its backend
 * current. Any failure (not installed, native library missing, version
 * mismatch) counts as "absent", with the reason kept for the user.
 */
export async function initTfjsNodeBackend(): Promise<Availability> {
  try {
    await import(TFJS_NODE_MODULE);
  } catch (error) {
    return isModuleNotFound(error)
      ? unavailable("tfjs-node not installed")
      : unavailable(`tfjs-node failed to load: ${firstLine(error)}`);
  }
  // A tfjs-node built against another tfjs-core registers its backend with
  // that other copy's engine, invisible to ours.
  if (tf.findBackendFactory(TFJS_NODE_BACKEND) == null) {
    return unavailable(
      `tfjs-node loaded but registered no "${TFJS_NODE_BACKEND}" backend with tfjs-core ${tf.version_core}`,
    );
  }
  if (!(await tf.setBackend(TFJS_NODE_BACKEND))) {
    return unavailable("tfjs-node failed to initialise");
  }
  return AVAILABLE;
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") return false;
  // A missing dependency *of* tfjs-node is a broken install, not an absent one.
  return error instanceof Error && error.message.includes(`'${TFJS_NODE_MODULE}'`);
}
