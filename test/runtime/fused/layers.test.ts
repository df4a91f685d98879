/**
 * A gate's mix (DotOp, src/runtime/fused/layers.ts) and two gates' mixes of
 * one stack (DotPairOp) whose Bufs live in a SIMD arena run the SIMD kernels
 * and compute what the JavaScript loops compute, within float32 summation
 * rounding: the outputs, and the gate and stack gradients, set or added to
 * what another reader wrote, with widths that leave a tail after the vectors.
 * A pair with one output's gradient missing runs the single mix's backward.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DotOp, DotPairOp } from "../../../src/runtime/fused/layers.js";
import { assertClose } from "../graph/fixtures.js";
import { allocate, arena, Buf, countCalls } from "./ops.js";

const ROWS = 6;
const TOLERANCE = 1e-5;

/** n experts of width w, `gates` gates over one stack; which gradients already hold another reader's part. */
interface Case {
  n: number;
  w: number;
  gates: 1 | 2;
  stackSet: boolean;
  gateSet: boolean;
  /** Pairs only: the second output has no gradient this step. */
  secondIdle?: boolean;
}

function run(simd: boolean, c: Case): { arrays: ArrayLike<number>[]; calls: Map<string, number> } {
  const made = simd ? arena() : null;
  const calls = made === null ? new Map<string, number>() : countCalls(made);
  const kernels = made?.kernels ?? null;
  const stack = new Buf("stack", c.n * c.w, true);
  const gates = Array.from({ length: c.gates }, (_, i) => new Buf(`gate${i}`, c.n, true));
  const outs = Array.from({ length: c.gates }, (_, i) => new Buf(`out${i}`, c.w, true));
  const dots = gates.map((gate, i) => new DotOp(gate, stack, outs[i]!, kernels));
  const op = c.gates === 2 ? new DotPairOp(dots[0]!, dots[1]!) : dots[0]!;
  allocate(made, [stack, ...gates, ...outs], ROWS);
  op.forward(ROWS);
  outs.forEach((out, i) => (out.gradSet = !(c.secondIdle === true && i === 1)));
  stack.gradSet = c.stackSet;
  for (const gate of gates) gate.gradSet = c.gateSet;
  op.backward(ROWS);
  const arrays = [...outs.map((o) => Float32Array.from(o.value)), stack.grad!, ...gates.map((g) => g.grad!)];
  return { arrays, calls };
}

const CASES: Case[] = [
  { n: 8, w: 128, gates: 1, stackSet: false, gateSet: false },
  { n: 5, w: 7, gates: 1, stackSet: true, gateSet: true },
  { n: 3, w: 6, gates: 1, stackSet: false, gateSet: true },
  { n: 8, w: 128, gates: 2, stackSet: false, gateSet: false },
  { n: 5, w: 7, gates: 2, stackSet: true, gateSet: false },
  { n: 3, w: 9, gates: 2, stackSet: false, gateSet: true },
  { n: 5, w: 7, gates: 2, stackSet: false, gateSet: false, secondIdle: true },
];

for (const c of CASES) {
  const name = `${c.gates === 1 ? "one gate" : "two gates"}, ${c.n} experts of ${c.w}${c.stackSet ? ", stack gradient added to" : ""}${c.gateSet ? ", gate gradient added to" : ""}${c.secondIdle ? ", the second output without a gradient" : ""}`;
  test(`mix of ${name}: the SIMD kernels give the JavaScript loops' outputs and gradients`, () => {
    const simd = run(true, c);
    const plain = run(false, c);
    simd.arrays.forEach((a, i) => assertClose(a, plain.arrays[i]!, TOLERANCE, `${name}: array ${i}`));
    const expected = c.gates === 1 ? ["mix", "mixBack"] : c.secondIdle ? ["mix2", "mixBack"] : ["mix2", "mix2Back"];
    assert.deepEqual([...simd.calls.keys()].sort(), expected.sort(), "the SIMD path ran");
  });
}
