/**
 * The mtl side of a workload, through the product path: spec text →
 * compileSource → IR → buildModel → createTrainStep → step.run(batch) on
 * pre-generated batches; serving through predictTasks on the inference model.
 */
import * as tf from "@tensorflow/tfjs";
import { graphInputs, type GraphInput } from "../../src/ir/blocks.js";
import type { ValidIR } from "../../src/ir/types.js";
import type { EncodedBatch, EncodedFeatures } from "../../src/data/encode/index.js";
import { featureTensors } from "../../src/train/tensors.js";
import {
  buildModel,
  createTrainStep,
  predictTasks,
  type BuiltModel,
  type FeatureTensors,
  type TrainBatch,
  type TrainStep,
} from "../../src/runtime/graph/index.js";
import { Rng } from "../../src/util/random.js";
import { randomBatch, randomFeatures, randomRequest, type FeatureArrays } from "./random-inputs.js";
import { compileSpec, type SpecSource } from "./spec-source.js";
import type { ServingSizes } from "./workloads.js";

/** Distinct batches (and requests) cycled through, so consecutive steps see different ids. */
const DISTINCT_BATCHES = 4;
const DISTINCT_REQUESTS = 4;

export interface MtlSetup {
  spec: SpecSource;
  kind: "train" | "serve";
  serving: ServingSizes;
  seed: number;
}

export class MtlWorkload {
  readonly ir: ValidIR;
  private readonly built: BuiltModel;
  /** The graph's inputs (a numeric block in place of its features), worked out once rather than per request. */
  private readonly inputs: GraphInput[];
  private readonly step: TrainStep | null;
  private readonly batches: TrainBatch[] = [];
  /** The same batches as encoded arrays, for a step that takes them (the fused step), as the trainer hands them over. */
  private readonly encoded: EncodedBatch[] = [];
  private readonly requests: FeatureArrays[] = [];
  private readonly largeBatch: FeatureArrays | null = null;
  private stepsRun = 0;
  private callsRun = 0;

  constructor(setup: MtlSetup) {
    this.ir = compileSpec(setup.spec);
    this.inputs = graphInputs(this.ir);
    this.built = buildModel(this.ir);
    const rng = new Rng(setup.seed);
    if (setup.kind === "train") {
      this.step = createTrainStep(this.built);
      for (let i = 0; i < DISTINCT_BATCHES; i++) {
        const arrays = randomBatch(this.ir, this.ir.train.batch, rng);
        this.batches.push(toTrainBatch(this.ir, this.inputs, arrays));
        this.encoded.push({ ...graphArrays(this.inputs, arrays.features), labels: arrays.labels, masks: arrays.masks });
      }
    } else {
      this.step = null;
      for (let i = 0; i < DISTINCT_REQUESTS; i++)
        this.requests.push(randomRequest(this.ir, setup.serving.requestRows, rng));
      this.largeBatch = randomFeatures(this.ir, setup.serving.throughputRows, rng);
    }
  }

  get batchRows(): number {
    return this.ir.train.batch;
  }

  /** Milliseconds of each step (step.run reads the losses back, so a step is complete when it returns). */
  train(steps: number): { stepMs: number[]; loss: number } {
    if (this.step === null) throw new Error("this workload was set up for serving");
    const stepMs: number[] = [];
    let loss = NaN;
    for (let i = 0; i < steps; i++) {
      const index = this.stepsRun % this.batches.length;
      const start = performance.now();
      loss = (this.step.runEncoded !== undefined ? this.step.runEncoded(this.encoded[index]!) : this.step.run(this.batches[index]!)).total;
      stepMs.push(performance.now() - start);
      this.stepsRun++;
    }
    return { stepMs, loss };
  }

  /** Latency of each request: typed arrays in, every task's scores out as typed arrays. */
  async serve(requests: number): Promise<number[]> {
    const latencies: number[] = [];
    for (let i = 0; i < requests; i++) {
      const request = this.requests[this.callsRun++ % this.requests.length]!;
      latencies.push(await this.timedScore(request));
    }
    return latencies;
  }

  /** Milliseconds of each call scoring the large batch. */
  async throughput(calls: number): Promise<number[]> {
    if (this.largeBatch === null) throw new Error("this workload was set up for training");
    const times: number[] = [];
    for (let i = 0; i < calls; i++) times.push(await this.timedScore(this.largeBatch));
    return times;
  }

  /** What a server does per call, all inside the timing: tensors from arrays, predict, read back. */
  private async timedScore(features: FeatureArrays): Promise<number> {
    const start = performance.now();
    const inputs = graphTensors(this.ir, this.inputs, features);
    const scores = predictTasks(this.built.model, inputs);
    try {
      await Promise.all(Object.values(scores).map((t) => t.data()));
    } finally {
      tf.dispose([inputs, scores]);
    }
    return performance.now() - start;
  }

  dispose(): void {
    this.step?.dispose();
    for (const batch of this.batches) tf.dispose([batch.inputs, batch.labels, batch.masks ?? {}]);
    this.built.model.dispose();
  }
}

function toTrainBatch(ir: ValidIR, graph: readonly GraphInput[], arrays: ReturnType<typeof randomBatch>): TrainBatch {
  const floats = (record: Record<string, Float32Array>) =>
    Object.fromEntries(Object.entries(record).map(([k, v]) => [k, tf.tensor1d(v, "float32")]));
  return { inputs: graphTensors(ir, graph, arrays.features), labels: floats(arrays.labels), masks: floats(arrays.masks) };
}

function graphTensors(ir: ValidIR, graph: readonly GraphInput[], features: FeatureArrays): FeatureTensors {
  return featureTensors(ir, graphArrays(graph, features));
}

/** Per-feature arrays in the layout the graph reads, as the encoder writes it: a numeric block's columns interleaved row by row. */
function graphArrays(graph: readonly GraphInput[], features: FeatureArrays): EncodedFeatures {
  const size = Object.values(features)[0]?.length ?? 0;
  const encoded: FeatureArrays = {};
  for (const input of graph) {
    if (input.kind === "feature") {
      encoded[input.name] = features[input.name]!;
      continue;
    }
    const n = input.features.length;
    const block = new Float32Array(size * n);
    input.features.forEach((feature, j) => {
      const column = features[feature.name]!;
      for (let r = 0; r < size; r++) block[r * n + j] = column[r]!;
    });
    encoded[input.name] = block;
  }
  return { size, features: encoded };
}
