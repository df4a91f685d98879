/**
 * The typed syntax tree. Every node carries the source range it came from so
 * that diagnostics, hovers and renames can point at exact text.
 */

/** 1-based line and column; offset is 0-based in UTF-16 code units. */
export interface Position {
  line: number;
  column: number;
  offset: number;
}

/** `end` is exclusive. */
export interface Range {
  start: Position;
  end: Position;
}

export interface Name {
  text: string;
  range: Range;
}

export type Value = NumberValue | StringValue | NameValue | StarValue | ListValue | CallValue;

export interface NumberValue {
  kind: "number";
  value: number;
  /** The text as written, so `100_000` and `1e5` can be echoed back. */
  text: string;
  range: Range;
}

export interface StringValue {
  kind: "string";
  value: string;
  range: Range;
}

/** A bare name: a reference to a declaration, a column, or an enumerated word like `relu`. */
export interface NameValue {
  kind: "name";
  name: Name;
  range: Range;
}

/** `*` in `concat(*)`: every feature. */
export interface StarValue {
  kind: "star";
  range: Range;
}

export interface ListValue {
  kind: "list";
  items: Value[];
  range: Range;
}

export interface CallValue {
  kind: "call";
  callee: Name;
  positional: Value[];
  options: OptionEntry[];
  range: Range;
}

/** `name: value`, inside a call or a block. */
export interface OptionEntry {
  name: Name;
  value: Value;
  range: Range;
}

interface DeclBase {
  /** The declared name; absent only for blocks. */
  name: Name;
  /** Text of the `##` comments right above, without the markers. */
  doc?: string;
  range: Range;
  /** The range of the leading keyword, for diagnostics about the declaration as a whole. */
  keyword: Range;
}

export interface ModelDecl extends DeclBase {
  kind: "model";
  description?: StringValue;
}

export interface FeatureDecl extends DeclBase {
  kind: "feature";
  /** `C[26]`: a group of features C1 … C26 with the same type and options. */
  count?: NumberValue;
  /** `categorical(...)`, `numeric(...)` or `sequence(...)`; absent when recovery lost it. */
  ctor?: CallValue;
}

export interface InputDecl extends DeclBase {
  kind: "input";
  expr?: CallValue;
}

export interface ExpertDecl extends DeclBase {
  kind: "expert";
  /** `e[8]`: a group of identical experts. */
  count?: NumberValue;
  expr?: CallValue;
}

export interface GateDecl extends DeclBase {
  kind: "gate";
  expr?: CallValue;
  over: Name[];
}

export interface TowerDecl extends DeclBase {
  kind: "tower";
  expr?: CallValue;
}

/** `label COLUMN (is V (| V)*)?` or `where COLUMN (is V (| V)*)?`. */
export interface LabelClause {
  column: Name;
  /** The values meaning 1: `is "50000+."`, `is ">50K" | ">50K."`; empty without `is` (0/1 or true/false). */
  positives: Value[];
  range: Range;
}

export interface TaskDecl extends DeclBase {
  kind: "task";
  type?: Name;
  /** One name: a head on that node. Several: the product of those tasks. */
  factors: Name[];
  label?: LabelClause;
  where?: LabelClause;
  weight?: NumberValue;
  /** `sample_weight COLUMN`: the column weighing each row in this task's loss and metrics. */
  sampleWeight?: Name;
  loss?: Value;
  /** `after TASK`: AITM's information transfer from TASK (src/validation/transfer.ts). */
  after?: Name;
  /** `calibrate NUMBER`: the weight of AITM's behavioural-expectation calibrator against the `after` task. */
  calibrate?: NumberValue;
  /** `debias ips(ctr)` or `debias dr(ctr, imputation: imp)`: ESCM²'s counterfactual loss (src/validation/debias.ts). */
  debias?: Value;
  /** Clauses written twice, kept to report them. */
  repeatedClauses: { clause: string; range: Range }[];
}

export interface BlockDecl extends Omit<DeclBase, "name"> {
  kind: "train" | "data";
  entries: OptionEntry[];
}

export type NamedDecl = ModelDecl | FeatureDecl | InputDecl | ExpertDecl | GateDecl | TowerDecl | TaskDecl;
export type Decl = NamedDecl | BlockDecl;

export interface DocComment {
  text: string;
  range: Range;
}

export interface SpecFile {
  file: string;
  decls: Decl[];
  /** Doc comments not followed by a declaration. */
  strayDocs: DocComment[];
  /**
   * Kinds of declarations that a syntax error kept out of `decls` (one
   * without a name, or a keyword misspelt into a name): the checker does not
   * also report them as missing.
   */
  broken?: ReadonlySet<string>;
  /** Names that declarations kept out by a syntax error would declare (`gaet g = ...`): not also reported as unknown. */
  lostNames?: ReadonlySet<string>;
  /** Names in the text a syntax error made the parser skip: what they name is not reported as unused. */
  skippedNames?: ReadonlySet<string>;
  range: Range;
}

export function isNamedDecl(decl: Decl): decl is NamedDecl {
  return decl.kind !== "train" && decl.kind !== "data";
}

/** Declarations a spec has at most one of (the checker reports a second: MTL2005). */
export function isSingleton(kind: Decl["kind"]): boolean {
  return kind === "model" || kind === "train" || kind === "data";
}
