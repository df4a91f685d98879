import * as tf from "#tfjs";
import { AVAILABLE, type Availability, firstLine, unavailable } from "./availability.js";
import { silenceCpuFirstUseBanner } from "./cpu-banner.js";
import { installCpuKernels } from "./kernels/unsorted-segment-sum-cpu.js";
import { initTfjsNodeBackend, TFJS_NODE_BACKEND } from "./tfjs-node.js";

import { BackendUnavailableError } from "../../errors.js";
import { BACKEND_NAMES, type BackendName } from "./names.js";

export { BACKEND_NAMES, type BackendName };

export interface BackendSelection {
  readonly name: BackendName;
  /** One short line for the CLI, e.g. "wasm (tfjs-node not installed)". */
  readonly reason: string;
}


export interface SelectOptions {
  /**
   * Threads for the wasm backend's native BLAS (OpenBLAS), which computes its
   * matrix products; without it MTL_BLAS_THREADS, else the cores available.
   */
  threads?: number;
}

/** What tfjs calls each backend. */
const ENGINE_NAMES: Readonly<Record<BackendName, string>> = {
  node: TFJS_NODE_BACKEND,
  wasm: "wasm",
  cpu: "cpu",
};

/** How to get each backend, for error messages. */
const REMEDIES: Readonly<Record<BackendName, string>> = {
  node: `install it with "npm install @tensorflow/tfjs-node@${tf.version_core}" (it downloads a native TensorFlow build for this platform)`,
  wasm: `reinstall it with "npm install @tensorflow/tfjs-backend-wasm@${tf.version_core}"`,
  cpu: `reinstall it with "npm install @tensorflow/tfjs@${tf.version_core}"`,
};

/**
 * Each backend is probed and initialised at most once per process; later
 * calls only switch the current backend, which tfjs does cheaply.
 */
const initialised = new Map<BackendName, Promise<Availability>>();

/**
 * Makes a TensorFlow.js backend current and says which and why.
 *
 * Without a preference: tfjs-node (native, fastest) if it can be loaded, else
 * wasm, else the pure-JS cpu backend. With one: exactly that backend, or an
 * Error explaining why it is unavailable and how to get it.
 */
export async function selectBackend(preferred?: BackendName, options: SelectOptions = {}): Promise<BackendSelection> {
  if (preferred !== undefined) {
    if (!BACKEND_NAMES.includes(preferred)) {
      throw new BackendUnavailableError(`Unknown backend "${String(preferred)}"; expected one of: ${BACKEND_NAMES.join(", ")}`);
    }
    const availability = await initialise(preferred);
    if (!availability.available) {
      const alternatives = BACKEND_NAMES.filter((name) => name !== preferred).map((name) => `"${name}"`);
      throw new BackendUnavailableError(
        `Backend "${preferred}" is unavailable: ${availability.why}. ` +
          `To use it, ${REMEDIES[preferred]}; or choose ${alternatives.join(" or ")}.`,
      );
    }
    await makeCurrent(preferred);
    const note = preferred === "wasm" ? await matMulNote(options.threads) : "";
    return { name: preferred, reason: `${preferred} (requested)${note}` };
  }

  const node = await initialise("node");
  if (node.available) {
    await makeCurrent("node");
    return { name: "node", reason: "node (native TensorFlow via tfjs-node)" };
  }
  const wasm = await initialise("wasm");
  if (wasm.available) {
    await makeCurrent("wasm");
    return { name: "wasm", reason: `wasm (${node.why})${await matMulNote(options.threads)}` };
  }
  const cpu = await initialise("cpu");
  if (!cpu.available) {
    throw new BackendUnavailableError(`No TensorFlow.js backend is usable: ${node.why}; wasm: ${wasm.why}; cpu: ${cpu.why}`);
  }
  await makeCurrent("cpu");
  return { name: "cpu", reason: `cpu (${node.why}; wasm unavailable: ${wasm.why})` };
}

function initialise(name: BackendName): Promise<Availability> {
  let pending = initialised.get(name);
  if (pending === undefined) {
    pending = INITIALISERS[name]().catch((error: unknown) => unavailable(firstLine(error)));
    initialised.set(name, pending);
  }
  return pending;
}

const INITIALISERS: Readonly<Record<BackendName, () => Promise<Availability>>> = {
  node: initTfjsNodeBackend,
  async wasm() {
    // Loaded lazily: importing the wasm package registers its backend and
    // kernels, which a cpu- or node-only run has no use for.
    let module: typeof import("./wasm-backend.js");
    try {
      module = await import("./wasm-backend.js");
    } catch (error) {
      return unavailable(`@tensorflow/tfjs-backend-wasm failed to load (${firstLine(error)})`);
    }
    return module.initWasmBackend();
  },
  async cpu() {
    if (!(await tf.setBackend("cpu"))) return unavailable("the cpu backend failed to initialise");
    silenceCpuFirstUseBanner(tf.backend());
    installCpuKernels();
    return AVAILABLE;
  },
};

async function makeCurrent(name: BackendName): Promise<void> {
  const engineName = ENGINE_NAMES[name];
  if (tf.getBackend() === engineName) return;
  if (!(await tf.setBackend(engineName))) {
    throw new Error(`Backend "${name}" initialised earlier but could not be made current again`);
  }
}

/**
 * Says what runs the wasm backend's matrix products, on how many threads
 * (`threads` when given). A BLAS the user named with MTL_BLAS that cannot be
 * used stops the run: they asked for speed and would otherwise get a
 * silently slower one.
 */
/**
 * OpenBLAS picks its kernels for the CPU it finds unless OPENBLAS_CORETYPE
 * names others, and the products' speed follows: on the AVX-512 machine the
 * benchmarks ran on, an environment forcing Haswell's halved it. Said where
 * it applies, since the user may not know their environment sets it.
 */
function forcedKernels(library: string): string {
  const core = process.env["OPENBLAS_CORETYPE"];
  return core !== undefined && core !== "" && /openblas/i.test(library) ? ` (kernels forced by OPENBLAS_CORETYPE=${core})` : "";
}

async function matMulNote(threads: number | undefined): Promise<string> {
  const { wasmMatMulStatus } = await import("./wasm-backend.js");
  const status = wasmMatMulStatus();
  if (status === null) return "";
  if (status.blas !== null) {
    if (threads !== undefined) status.blas.setThreads?.(threads);
    const count = status.blas.threads;
    return `, matrix products on ${status.blas.library}${count === null ? "" : `, ${count} thread${count === 1 ? "" : "s"}`}${forcedKernels(status.blas.library)}`;
  }
  if (status.requested) {
    throw new BackendUnavailableError(status.why);
  }
  return "";
}
