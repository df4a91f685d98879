/**
 * State shared by the parts of the model builder: what every IR name (feature
 * or node) evaluates to, and the bookkeeping that makes names and seeds
 * deterministic.
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelIR } from "../../ir/types.js";
import { NameRegistry } from "./names.js";
import { deriveSeed } from "./seed.js";

export class BuildContext {
  readonly registry = new NameRegistry();
  /** Dropout layer name -> the base seed its per-step seeds derive from. */
  readonly dropoutSeeds = new Map<string, number>();
  /** Features and nodes by IR name; an expert group of n evaluates to n tensors. */
  private readonly values = new Map<string, tf.SymbolicTensor[]>();

  constructor(readonly ir: ModelIR) {}

  seedFor(layer: string): number {
    return deriveSeed(this.ir.train.seed, layer);
  }

  /** Glorot-uniform like Keras' Dense default, but seeded per layer. */
  kernelInitializer(layer: string): ReturnType<typeof tf.initializers.glorotUniform> {
    return tf.initializers.glorotUniform({ seed: this.seedFor(layer) });
  }

  define(name: string, tensors: tf.SymbolicTensor[]): void {
    if (this.values.has(name)) {
      throw new Error(`'${name}' is defined twice (feature and node names must be distinct)`);
    }
    this.values.set(name, tensors);
  }

  /** The one tensor `name` evaluates to; `user` is named in the error. */
  single(name: string, user: string): tf.SymbolicTensor {
    const tensors = this.values.get(name);
    if (tensors === undefined) {
      throw new Error(`${user} reads '${name}', which is not a feature or an earlier node`);
    }
    if (tensors.length !== 1) {
      throw new Error(
        `${user} reads '${name}', a group of ${tensors.length} experts; only a gate can mix a group`,
      );
    }
    return tensors[0]!;
  }

  group(name: string, user: string): tf.SymbolicTensor[] {
    const tensors = this.values.get(name);
    if (tensors === undefined) {
      throw new Error(`${user} mixes '${name}', which is not an earlier node`);
    }
    return tensors;
  }
}

/** Last dimension of a [batch, width] symbolic tensor. */
export function widthOf(t: tf.SymbolicTensor): number {
  const last = t.shape[t.shape.length - 1];
  if (t.shape.length !== 2 || typeof last !== "number") {
    throw new Error(`expected a [batch, width] tensor, got shape [${t.shape.join(", ")}]`);
  }
  return last;
}

export function expectWidth(t: tf.SymbolicTensor, width: number, what: string): void {
  const actual = widthOf(t);
  if (actual !== width) {
    throw new Error(`${what}: the IR says width ${width}, but the layers produce ${actual}`);
  }
}
