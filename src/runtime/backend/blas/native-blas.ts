import { firstLine } from "../availability.js";
import { switchedOff } from "../../../util/env-switch.js";
import { availableCores, MAX_THREADS } from "../../parallel/cores.js";
import { loadKoffi, type KoffiLibrary } from "../koffi.js";

/**
 * An optional native BLAS (OpenBLAS) for the wasm backend's matrix products.
 *
 * XNNPACK on wasm SIMD128 peaks near 25 GFLOPS on one core here; OpenBLAS
 * with the CPU's full vector width runs the same products at 80-90 GFLOPS.
 * Serving and dense training are GEMM-bound, so when a system OpenBLAS and
 * the koffi FFI package are both present, products are computed by
 * `cblas_sgemm` directly on the wasm heap (no copies). Neither is required:
 * without them nothing changes. `MTL_BLAS=off` turns it off,
 * `MTL_BLAS=/path/to/lib.so` picks a library, `MTL_BLAS_THREADS=N` sets its
 * thread count (default: the cores this process is given, parallel/cores.ts;
 * `mtl train --threads N` sets it per run).
 */
export interface NativeBlas {
  /** The library as loaded, e.g. "libopenblas.so.0". */
  readonly library: string;
  /** Threads the library was asked to use; null when it has no way to say. */
  readonly threads: number | null;
  /** Asks the library for `n` threads from now on (OpenBLAS's setting is process-wide); ignored when it has no way to say. */
  setThreads?(n: number): void;
  /** Row-major C = op(A)·op(B) + beta·C over views of float32 storage. */
  sgemm(
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
}

export type BlasStatus =
  | { readonly blas: NativeBlas; readonly why?: undefined }
  | { readonly blas: null; readonly why: string; readonly requested: boolean };

/** A BLAS named by MTL_BLAS could not be used: the run stops rather than silently going slow. */
export class BlasUnavailableError extends Error {
  override name = "BlasUnavailableError";
}

/** Sonames tried when MTL_BLAS is unset. Only OpenBLAS: the reference BLAS is slower than XNNPACK. */
const OPENBLAS_CANDIDATES: readonly string[] =
  process.platform === "darwin"
    ? ["libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib", "/usr/local/opt/openblas/lib/libopenblas.dylib"]
    : process.platform === "win32"
      ? ["libopenblas.dll", "openblas.dll"]
      : ["libopenblas.so.0", "libopenblas.so"];

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** Reads MTL_BLAS / MTL_BLAS_THREADS and loads the library, or says why not. */
export function loadNativeBlas(env: NodeJS.ProcessEnv = process.env): BlasStatus {
  const setting = env["MTL_BLAS"]?.trim() ?? "";
  if (switchedOff(setting)) return { blas: null, why: "turned off by MTL_BLAS", requested: false };
  const requested = setting !== "";
  const threads = parseThreads(env["MTL_BLAS_THREADS"]);
  if (typeof threads === "string") return { blas: null, why: threads, requested: true };

  const koffi = loadKoffi();
  if (typeof koffi === "string") {
    const why = requested ? `MTL_BLAS is set but ${koffi}; run "npm install koffi", or unset MTL_BLAS` : koffi;
    return { blas: null, why, requested };
  }

  const candidates = requested ? [setting] : OPENBLAS_CANDIDATES;
  const failures: string[] = [];
  for (const library of candidates) {
    let lib: KoffiLibrary;
    try {
      lib = koffi.load(library);
    } catch (error) {
      failures.push(`${library}: ${firstLine(error)}`);
      continue;
    }
    try {
      return { blas: bind(lib, library, threads) };
    } catch (error) {
      failures.push(`${library}: ${firstLine(error)}`);
    }
  }
  const why = requested
    ? `MTL_BLAS=${setting} could not be used (${failures.join("; ")}); install OpenBLAS ` +
      `(Debian: apt-get install libopenblas0), correct the path, or unset MTL_BLAS to use XNNPACK`
    : "no OpenBLAS found (install libopenblas0 for faster matrix products)";
  return { blas: null, why, requested };
}

function parseThreads(value: string | undefined): number | string {
  if (value === undefined || value.trim() === "") return availableCores();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    return `MTL_BLAS_THREADS=${value} is not a thread count; use a whole number from 1 to ${MAX_THREADS}`;
  }
  return n;
}

function bind(lib: KoffiLibrary, library: string, threads: number): NativeBlas {
  const cblasSgemm = lib.func(
    "void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, " +
      "float *a, int lda, float *b, int ldb, float beta, float *c, int ldc)",
  );
  let setNumThreads: ((n: number) => unknown) | null = null;
  try {
    // OpenBLAS starts one thread per CPU it sees unless told, ignoring a cgroup quota.
    setNumThreads = lib.func("void openblas_set_num_threads(int n)");
  } catch {
    // Not OpenBLAS (MKL, BLIS...): it keeps its own threading settings.
  }
  let threadsSet: number | null = null;
  const setThreads = (n: number) => {
    if (setNumThreads === null) return;
    setNumThreads(n);
    threadsSet = n;
  };
  setThreads(threads);
  return {
    library,
    get threads() {
      return threadsSet;
    },
    setThreads,
    sgemm(transposeA, transposeB, m, n, k, a, lda, b, ldb, beta, c, ldc) {
      cblasSgemm(ROW_MAJOR, transposeA ? TRANS : NO_TRANS, transposeB ? TRANS : NO_TRANS, m, n, k, 1, a, lda, b, ldb, beta, c, ldc);
    },
  };
}
