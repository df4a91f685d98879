import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import type * as A from "../../src/syntax/ast.js";
import type { InitIR } from "../../src/ir/types.js";
import type { DataOptions, FeatureCall, FeatureOptions, GateOptions, MlpOptions, OptionsOf, Ref, TrainOptions } from "../../src/validation/option-types.js";
import type { FORMATS } from "../../src/validation/schema.js";
import type { FeatureSym } from "../../src/validation/symbols.js";

/*
 * The option types are derived from the vocabulary table (schema.ts). These
 * assertions are checked by `tsc` when the tests are built: renaming, retyping
 * or dropping an option in the table breaks the build here (and at every
 * reader) instead of lowering `undefined` at run time.
 */
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
type Categorical = FeatureOptions<"categorical">;
type Numeric = FeatureOptions<"numeric">;
type Sequence = FeatureOptions<"sequence">;

const typeFacts: [
  // Options with a default are always present; choices are literal unions.
  Equal<MlpOptions, { activation: "relu" | "tanh" | "sigmoid" | "elu" | "selu" | "gelu" | "swish" | "linear"; dropout: number; batchnorm: boolean; init: InitIR }>,
  // Networks and gates share one vocabulary of initialisers, the IR's.
  Equal<GateOptions, { init: InitIR }>,
  Equal<Numeric, { transform: "none" | "log1p" | "sqrt"; normalize: "none" | "zscore" | "minmax"; fill: "mean" | "zero"; column?: A.Name }>,
  // A required option is present, an option with neither default nor `required` is optional.
  Equal<Sequence, { of: Ref; max_len: number; pool: "mean" | "sum" | "max"; sep: string; column?: A.Name }>,
  Equal<Categorical["dim"], number>,
  Equal<DataOptions, { format: OptionsOfFormat; columns?: A.Name[] }>,
  // A nested constructor is a union discriminated by its name.
  Equal<TrainOptions["optimizer"]["ctor"], "adam" | "adagrad" | "sgd" | "rmsprop">,
  Equal<TrainOptions["weighting"]["ctor"], "fixed" | "uncertainty" | "gradnorm" | "dwa">,
  Equal<FeatureCall["ctor"], "categorical" | "numeric" | "sequence">,
] = [true, true, true, true, true, true, true, true, true];

type OptionsOfFormat =
  | { ctor: "csv"; options: OptionsOf<(typeof FORMATS)["csv"]> }
  | { ctor: "jsonl"; options: OptionsOf<(typeof FORMATS)["jsonl"]> }
  | { ctor: "parquet"; options: OptionsOf<(typeof FORMATS)["parquet"]> };

/** Reads that must not compile: each `@ts-expect-error` fails the build once the read becomes valid. */
function forbiddenReads(categorical: Categorical, train: TrainOptions, feature: FeatureCall): unknown[] {
  return [
    // @ts-expect-error: no option 'dims' (the option is 'dim')
    categorical.dims,
    // @ts-expect-error: no setting 'batch_size' (the setting is 'batch')
    train.batch_size,
    // @ts-expect-error: 'max_len' belongs to sequence only; the constructor must be narrowed first
    feature.options.max_len,
  ];
}

test("typed options: the type facts above were checked by the compiler", () => {
  assert.deepEqual(typeFacts, [true, true, true, true, true, true, true, true, true]);
  assert.equal(typeof forbiddenReads, "function");
});

test("typed options: `buckets` and `vocab` exclude each other, and narrowing on one gives the other's absence", () => {
  // @ts-expect-error: both sides of a oneOf pair
  const both: Categorical = { dim: 4, buckets: 10, vocab: ["a"] };
  const rows = (o: Categorical): number => (o.vocab ? o.vocab.length + 1 : o.buckets);
  assert.equal(rows({ dim: 4, vocab: ["a", "b"] }), 3);
  assert.equal(rows({ dim: 4, buckets: 10 }), 10);
  assert.ok(both);
});

test("typed options: the checker fills in every default of the table, read back by name without casts", () => {
  const result = compileSource(
    `model m
feature price : numeric()
feature item : categorical(buckets: 50, dim: 4)
feature hist : sequence(of: item, max_len: 5)
input x = concat(*)
tower t = mlp(x, [3])
task a : binary = t label click
train { optimizer: sgd }
`,
    "typed.mtl",
  );
  assert.deepEqual(result.diagnostics.filter((d) => d.severity === "error"), []);
  const feature = (name: string): FeatureSym => {
    const sym = result.checked.symbols.get(name);
    assert.ok(sym?.kind === "feature");
    return sym;
  };
  const price = feature("price").call;
  assert.ok(price?.ctor === "numeric");
  assert.deepEqual({ ...price.options }, { transform: "none", normalize: "none", fill: "mean" });
  const hist = feature("hist").call;
  assert.ok(hist?.ctor === "sequence");
  assert.equal(hist.options.of.sym, result.checked.symbols.get("item"));
  assert.deepEqual([hist.options.pool, hist.options.sep], ["mean", "|"]);
  const { optimizer, batch, epochs, seed } = result.checked.train;
  assert.ok(optimizer.ctor === "sgd");
  assert.deepEqual({ ...optimizer.options, batch, epochs, seed }, { lr: 0.01, momentum: 0, batch: 512, epochs: 1, seed: 42 });
  const format = result.checked.data.format;
  assert.ok(format.ctor === "csv");
  assert.deepEqual(format.options, { header: true, delimiter: ",", trim: false, missing: ["", "?", "NA"] });
});
