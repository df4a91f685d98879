/**
 * Measures what the wasm kernel overrides buy for training.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/wasm-kernels.js [--rounds 5] [--steps 4]
 *
 * Dense MLP training step (batch 1024, 64 -> 256 -> 128 -> 1, Adam) on:
 *   wasm with products on OpenBLAS (when the machine has it), wasm with the
 *   matMul override on XNNPACK, wasm with the stock kernels, and cpu.
 * Configurations are interleaved round by round so drift in machine load
 * affects all of them alike. Also times an embedding gradient (26 tables x
 * 1024 ids x dim 16), which needs the added UnsortedSegmentSum kernel, on
 * wasm only: the cpu backend's UnsortedSegmentSum loops over every segment
 * (vocabulary row) with full-size tensor ops, which takes minutes here.
 */
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../src/runtime/backend/select.js";
import { installMatMulOverride, uninstallMatMulOverride } from "../src/runtime/backend/wasm-kernels.js";
import { useNativeBlas } from "../src/runtime/backend/kernels/matmul-override.js";
import { wasmMatMulStatus } from "../src/runtime/backend/wasm-backend.js";
import type { NativeBlas } from "../src/runtime/backend/blas/native-blas.js";

const BATCH = 1024;
const LAYERS = [64, 256, 128, 1] as const;
const TABLES = 26;
const VOCAB = 10_000;
const EMBEDDING_DIM = 16;

interface Config {
  readonly label: string;
  readonly backend: "wasm" | "cpu";
  readonly override: boolean;
  /** Products on this native BLAS (with the override), or on XNNPACK when null. */
  readonly blas: NativeBlas | null;
}

const XNNPACK_CONFIGS: readonly Config[] = [
  { label: "wasm + matMul override", backend: "wasm", override: true, blas: null },
  { label: "wasm, stock kernels", backend: "wasm", override: false, blas: null },
  { label: "cpu", backend: "cpu", override: false, blas: null },
];

function argument(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
}

async function activate(config: Config): Promise<void> {
  await selectBackend(config.backend);
  if (config.backend === "wasm") {
    if (config.override) installMatMulOverride();
    else uninstallMatMulOverride();
    useNativeBlas(config.blas);
  }
}

/** A model, optimizer and batch living on the current backend; step() trains once. */
function makeMlpTrainer(): { step: () => void; dispose: () => void } {
  const layers = LAYERS.slice(1).map((units, i) =>
    tf.layers.dense({
      units,
      ...(i === 0 ? { inputShape: [LAYERS[0]] } : {}),
      ...(i < LAYERS.length - 2 ? { activation: "relu" as const } : {}),
      kernelInitializer: tf.initializers.glorotUniform({ seed: i + 1 }),
    }),
  );
  const model = tf.sequential({ layers });
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomUniform([BATCH, LAYERS[0]], -1, 1, "float32", 7);
  const y = tf.tidy(() => tf.randomUniform([BATCH, 1], 0, 1, "float32", 8).greater(0.5).toFloat());
  const step = (): void => {
    const loss = optimizer.minimize(
      () => tf.losses.sigmoidCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      true,
    );
    loss!.dataSync(); // wait for the step (a no-op for these synchronous backends, but honest)
    loss!.dispose();
  };
  return {
    step,
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      tf.dispose([x, y]);
    },
  };
}

/** Gradient of 26 embedding lookups, as one training step of the embedding layer needs. */
function makeEmbeddingGradient(): { step: () => void; dispose: () => void } {
  const tables = Array.from({ length: TABLES }, (_, t) =>
    tf.variable(tf.randomUniform([VOCAB, EMBEDDING_DIM], -0.05, 0.05, "float32", t)),
  );
  const ids = tables.map((_, t) =>
    tf.tidy(() =>
      tf
        .randomUniform([BATCH], 0, VOCAB, "float32", 100 + t)
        .floor()
        .toInt(),
    ),
  );
  const step = (): void => {
    const { value, grads } = tf.variableGrads(
      () => tf.addN(tables.map((table, t) => tf.gather(table, ids[t]!).square().sum())) as tf.Scalar,
      tables,
    );
    for (const table of tables) grads[table.name]!.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  return { step, dispose: () => tf.dispose([...tables, ...ids]) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function measure(
  name: string,
  configs: readonly Config[],
  make: () => { step: () => void; dispose: () => void },
  rounds: number,
  steps: number,
): Promise<Map<string, number>> {
  const trainers = new Map<string, ReturnType<typeof make>>();
  const times = new Map<string, number[]>();
  for (const config of configs) {
    await activate(config);
    const trainer = make();
    trainer.step(); // warm-up: optimizer slots, XNNPACK operators, JIT
    trainers.set(config.label, trainer);
    times.set(config.label, []);
  }
  for (let round = 0; round < rounds; round++) {
    for (const config of configs) {
      await activate(config);
      const trainer = trainers.get(config.label)!;
      for (let s = 0; s < steps; s++) {
        const start = performance.now();
        trainer.step();
        times.get(config.label)!.push(performance.now() - start);
      }
    }
  }
  const medians = new Map<string, number>();
  console.log(`\n${name}`);
  for (const config of configs) {
    await activate(config);
    trainers.get(config.label)!.dispose();
    const m = median(times.get(config.label)!);
    medians.set(config.label, m);
    console.log(
      `  ${config.label.padEnd(32)} median ${m.toFixed(2).padStart(8)} ms/step  (${times.get(config.label)!.length} steps)`,
    );
  }
  return medians;
}

async function main(): Promise<void> {
  const rounds = argument("rounds", 5);
  const steps = argument("steps", 4);
  const initial = await selectBackend();
  console.log(`backend chosen by default: ${initial.reason}; tfjs ${tf.version_core}; node ${process.version}`);
  await selectBackend("wasm");
  const blas = wasmMatMulStatus()?.blas ?? null;
  const configs: Config[] = [...XNNPACK_CONFIGS];
  if (blas !== null) configs.unshift({ label: `wasm + ${blas.library}`, backend: "wasm", override: true, blas });
  else console.log(`no native BLAS: ${wasmMatMulStatus()?.why ?? "wasm unavailable"}`);
  const [xnnpack, stockWasm, cpuConfig] = XNNPACK_CONFIGS;

  const mlp = await measure(
    `Dense MLP training step: batch ${BATCH}, ${LAYERS.join(" -> ")}, Adam`,
    configs,
    makeMlpTrainer,
    rounds,
    steps,
  );
  const fast = mlp.get(xnnpack!.label)!;
  const stock = mlp.get(stockWasm!.label)!;
  const cpu = mlp.get(cpuConfig!.label)!;
  console.log(
    `  speedup from the override: ${(stock / fast).toFixed(2)}x; wasm+override vs cpu: ${(cpu / fast).toFixed(2)}x`,
  );
  if (blas !== null) {
    console.log(`  OpenBLAS over XNNPACK (both with the override): ${(fast / mlp.get(configs[0]!.label)!).toFixed(2)}x`);
  }

  await measure(
    `Embedding gradient: ${TABLES} tables x ${BATCH} ids x dim ${EMBEDDING_DIM} (vocab ${VOCAB})`,
    [configs[0]!],
    makeEmbeddingGradient,
    rounds,
    steps,
  );

  await activate(configs[0]!);
}

await main();
