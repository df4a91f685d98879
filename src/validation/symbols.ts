import type * as A from "../syntax/ast.js";
import type { DebiasCall, FeatureCall, GateOptions, LossCall, MlpOptions } from "./option-types.js";
import type { RefKind } from "./schema.js";

/**
 * What the checker knows about one declared name. References are recorded
 * while options are checked, so "find references", rename and the unused-
 * declaration warning all read the same data.
 */
interface SymBase {
  name: string;
  decl: A.NamedDecl;
  /** Every place that names this symbol. */
  references: A.Name[];
  /** Symbols this one reads (its graph edges). */
  deps: Sym[];
  /** Output width, once inferred; undefined while unknown or broken. */
  width?: number;
}

export interface FeatureSym extends SymBase {
  kind: "feature";
  decl: A.FeatureDecl;
  /** The checked constructor and options; a group's members share their group's. Rules read the options through `draft()` (option-types.ts). */
  call?: FeatureCall;
  column: string;
  columnRange: A.Range;
  /** Read by a `concat(*)`, which names no feature in the text. */
  usedByStar: boolean;
  /**
   * A group `feature C[26] : ...`: its members C1 … C26, in order (none when
   * the count is invalid). Undefined for a single feature and for a member.
   */
  members: FeatureSym[] | undefined;
  /** A member of a group: the group; `index` is the member's 1-based position in it. */
  group: FeatureSym | undefined;
  index: number;
}

export interface InputSym extends SymBase {
  kind: "input";
  decl: A.InputDecl;
  inputs: Sym[];
}

export interface ExpertSym extends SymBase {
  kind: "expert";
  decl: A.ExpertDecl;
  count: number;
  /** The written count (`e[N]`) was rejected, so `count` is a stand-in: rules about the count stay silent. */
  countRejected?: true;
  input?: Sym;
  units?: number[];
  options?: MlpOptions;
}

export interface TowerSym extends SymBase {
  kind: "tower";
  decl: A.TowerDecl;
  input?: Sym;
  units?: number[];
  options?: MlpOptions;
}

export interface GateSym extends SymBase {
  kind: "gate";
  decl: A.GateDecl;
  input?: Sym;
  experts: ExpertSym[];
  options?: GateOptions;
}

export interface TaskSym extends SymBase {
  kind: "task";
  decl: A.TaskDecl;
  type?: "binary" | "regression";
  /** The node a dense head sits on, for a single-factor task. */
  head?: Sym;
  /** The tasks multiplied, for a product task. */
  factors: TaskSym[];
  /** The field values meaning 1 (`label C is "A" | "B"`); absent without `is`. */
  positives?: string[];
  /** The field values of the `where` column that select a row (`where C is "V"`); absent without `is`. */
  wherePositives?: string[];
  /** The binary task whose label the `where` column is (same column, same positive values), set by the checker. */
  whereTask?: TaskSym;
  loss?: LossCall;
  /** The task `after` names: AITM transfers from it (src/validation/transfer.ts). */
  after?: TaskSym;
  /** The checked `debias` clause (src/validation/debias.ts). */
  debias?: DebiasCall;
}

export type Sym = FeatureSym | InputSym | ExpertSym | TowerSym | GateSym | TaskSym;

export const ARTICLE: Record<RefKind, string> = {
  feature: "a feature",
  input: "an input",
  expert: "an expert",
  gate: "a gate",
  tower: "a tower",
  task: "a task",
};

/** "a feature, input, expert, gate or tower" */
export function describeKinds(kinds: readonly RefKind[]): string {
  const words = kinds.map((k, i) => (i === 0 ? ARTICLE[k] : k));
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}

export function newSym(decl: Exclude<A.NamedDecl, A.ModelDecl>): Sym {
  // Plain literals (no spread): symbols are created for every declaration of large specs.
  const name = decl.name.text;
  switch (decl.kind) {
    case "feature":
      return { name, references: [], deps: [], kind: "feature", decl, column: name, columnRange: decl.name.range, usedByStar: false, members: decl.count ? [] : undefined, group: undefined, index: 0 };
    case "input":
      return { name, references: [], deps: [], kind: "input", decl, inputs: [] };
    case "expert":
      return { name, references: [], deps: [], kind: "expert", decl, count: 1 };
    case "tower":
      return { name, references: [], deps: [], kind: "tower", decl };
    case "gate":
      return { name, references: [], deps: [], kind: "gate", decl, experts: [] };
    case "task":
      return { name, references: [], deps: [], kind: "task", decl, factors: [] };
  }
}

/** Member `index` (1-based) of the feature group `group`: the group's name and the index, unpadded (C1 … C26, like Criteo's columns). */
export function memberName(group: string, index: number): string {
  return `${group}${index}`;
}

/** A member of a feature group: same declaration, type and options, its own name and column. */
export function newMember(group: FeatureSym, index: number): FeatureSym {
  const name = memberName(group.name, index);
  return { name, references: [], deps: [], kind: "feature", decl: group.decl, column: name, columnRange: group.decl.name.range, usedByStar: false, members: undefined, group, index };
}

/** "C1 … C26" (or "C1, C2" / "C1" for small groups): a group's member names, abbreviated. */
export function memberRange(group: string, count: number, of: (index: number) => string = (i) => memberName(group, i)): string {
  if (count <= 0) return "no members";
  if (count === 1) return of(1);
  if (count === 2) return `${of(1)}, ${of(2)}`;
  return `${of(1)} … ${of(count)}`;
}
