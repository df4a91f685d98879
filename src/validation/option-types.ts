import type * as A from "../syntax/ast.js";
import type { CtorSchema, DATA_BLOCK, DEBIAS_CTORS, FEATURE_CTORS, GATE_CTORS, LOSS_CTORS, MLP_CTORS, OptionSchema, TRAIN_BLOCK, ValueType } from "./schema.js";
import type { Sym } from "./symbols.js";

/**
 * The types of checked values, derived from the vocabulary table in
 * schema.ts: renaming or retyping an option there changes these types, so
 * every reader of the option (the checker's rules, the lowering) stops
 * compiling instead of reading `undefined` at run time.
 *
 * The shapes are those of a spec without errors: required options and options
 * with a default are present, choices are string-literal unions, and `oneOf`
 * pairs are exclusive. While a spec is being checked, a value that failed its
 * check is missing; the checker's rules read options through `draft()`, and
 * the lowering (which only runs on a spec without errors) reads them directly.
 */

/** A resolved reference: the symbol when it exists and has the right kind. */
export interface Ref {
  name: A.Name;
  sym?: Sym;
}

/** The checked value of one value type. */
export type ValueOf<T extends ValueType> = T extends { t: "int" | "number" }
  ? number
  : T extends { t: "bool" }
    ? boolean
    : T extends { t: "string" }
      ? string
      : T extends { t: "enum"; values: readonly (infer V)[] }
        ? V
        : T extends { t: "ref"; star: true }
          ? Ref | "*"
          : T extends { t: "ref" }
            ? Ref
            : T extends { t: "column" }
              ? A.Name
              : T extends { t: "list"; of: infer O extends ValueType }
                ? ValueOf<O>[]
                : T extends { t: "ctor"; ctors: infer C extends Readonly<Record<string, CtorSchema>> }
                  ? CallOf<C>
                  : never;

/** Options the checker always fills in: required ones and those with a default. */
type Filled<O extends Readonly<Record<string, OptionSchema>>> = {
  [K in keyof O]: O[K] extends { required: true } | { default: unknown } ? K : never;
}[keyof O];

type Flat<T> = { [K in keyof T]: T[K] } & {};

type PlainOptions<O extends Readonly<Record<string, OptionSchema>>> = { -readonly [K in Filled<O>]: ValueOf<O[K]["type"]> } & {
  -readonly [K in Exclude<keyof O, Filled<O>>]?: ValueOf<O[K]["type"]>;
};

/** `oneOf: [[a, b]]`: exactly one of the two is present. */
type Exclusive<O, P> = P extends readonly [readonly [infer K1 extends keyof O, infer K2 extends keyof O], ...infer Rest]
  ? (({ [K in K1]-?: O[K] } & { [K in K2]?: undefined }) | ({ [K in K2]-?: O[K] } & { [K in K1]?: undefined })) & Exclusive<O, Rest>
  : unknown;

type PairKeys<P> = P extends readonly (readonly [infer K1, infer K2])[] ? K1 | K2 : never;

/** The checked options of a constructor or block, e.g. `{ dim: number; column?: A.Name } & ({ buckets: number } | { vocab: string[] })`. */
export type OptionsOf<S extends CtorSchema> = S extends { oneOf: infer P }
  ? Flat<Omit<PlainOptions<S["options"]>, PairKeys<P> & string>> & Exclusive<PlainOptions<S["options"]>, P>
  : Flat<PlainOptions<S["options"]>>;

/** The positional arguments by their schema name; a variadic one lists each value (undefined where it was wrong). */
export type ArgsOf<S extends CtorSchema> = Flat<{
  -readonly [P in S["positional"][number] as P["name"]]?: P extends { variadic: true } ? (ValueOf<P["type"]> | undefined)[] : ValueOf<P["type"]>;
}>;

/** One constructor of a table with its options, as a union discriminated by `ctor`. */
export type CallOf<C extends Readonly<Record<string, CtorSchema>>> = {
  [K in keyof C & string]: { ctor: K; options: OptionsOf<C[K]> };
}[keyof C & string];

/** A checked call of a constructor of table `C`: its schema, positional arguments and options. */
export type CheckedCallOf<C extends Readonly<Record<string, CtorSchema>>> = {
  [K in keyof C & string]: { ctor: K; schema: C[K]; args: ArgsOf<C[K]>; options: OptionsOf<C[K]> };
}[keyof C & string];

/** The view of checked options for the checker's own rules: any value may be missing (it failed its check). */
export type Draft<T> = { [K in keyof T]?: T[K] | undefined };

export function draft<T extends object>(options: T): Draft<T> {
  return options;
}

export type FeatureCall = CallOf<typeof FEATURE_CTORS>;
/** The options of one feature type, e.g. `FeatureOptions<"categorical">`. */
export type FeatureOptions<K extends FeatureCall["ctor"]> = Extract<FeatureCall, { ctor: K }>["options"];
export type MlpOptions = OptionsOf<(typeof MLP_CTORS)["mlp"]>;
export type GateOptions = OptionsOf<(typeof GATE_CTORS)["softmax"]>;
export type LossCall = CallOf<typeof LOSS_CTORS>;
/** Checked with its positional propensity, unlike the nested constructors above. */
export type DebiasCall = CheckedCallOf<typeof DEBIAS_CTORS>;
export type TrainOptions = OptionsOf<typeof TRAIN_BLOCK>;
export type DataOptions = OptionsOf<typeof DATA_BLOCK>;
