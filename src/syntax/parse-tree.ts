import type { IToken } from "./chevrotain.js";
import type { Decl } from "./ast.js";

/**
 * The parser's output: for each grammar rule that ran, every token it
 * consumed (the AST uses some; the formatter prints them all, with the
 * comments attached to them: trivia.ts). Small fixed-shape objects are far cheaper than chevrotain's generic
 * CST (a dictionary of arrays per node), which cost more than the parse.
 *
 * The parent creates a child node before it calls the child's rule, so a rule
 * that fails half-way still leaves what it consumed in the tree, as a
 * chevrotain CST does under error recovery. Token fields hold real tokens
 * only: tokens that recovery invents are left out.
 *
 * Nodes are plain object literals made by the functions below: one fixed
 * shape per kind keeps property access fast.
 */

/**
 * Offsets of the first and just past the last real token consumed inside a
 * node, its descendants included (chevrotain's CST node location); NaN until
 * one is. Declarations, clauses, calls and lists have one; the nodes between
 * them pass their tokens on to the nearest enclosing one.
 */
export interface Extent {
  start: number;
  end: number;
  outer: Extent | undefined;
}

export interface DeclNode extends Extent {
  kind: Decl["kind"] | "block";
  /** The leading keyword; absent only if recovery invented it. */
  keyword: IToken | undefined;
  name: IToken | undefined;
  /** model */
  description: IToken | undefined;
  /** expert and feature groups: `[count]` */
  lbracket: IToken | undefined;
  count: IToken | undefined;
  rbracket: IToken | undefined;
  /** feature and task */
  colon: IToken | undefined;
  /** input, expert, gate, tower and task */
  equals: IToken | undefined;
  /** feature, input, expert, gate, tower */
  call: CallNode | undefined;
  /** gate: `over` and the expert groups */
  overKeyword: IToken | undefined;
  over: IToken[];
  /** The `,` between the gate's expert groups, or the `*` between a task's factors. */
  separators: IToken[];
  /** task */
  type: IToken | undefined;
  factors: IToken[];
  clauses: ClauseNode[];
  /** train and data blocks */
  lcurly: IToken | undefined;
  entries: NamedValueNode[];
  rcurly: IToken | undefined;
}

/** A task clause: `label column (is value (| value)*)?`, `where column (is ...)?`, `weight NUMBER`, `sample_weight column`, `loss value`, `after TASK`, `calibrate NUMBER` or `debias value`. */
export interface ClauseNode extends Extent {
  keyword: IToken | undefined;
  /** The column of `label`, `where` and `sample_weight`: a name or a string. */
  column: IToken | undefined;
  is: IToken | undefined;
  /** The values after `is`; empty without one. */
  positives: ValueNode[];
  /** The `|` between the values. */
  pipes: IToken[];
  /** The number of `weight` and of `calibrate` (both weigh a loss term). */
  weight: IToken | undefined;
  /** The value of `loss` or of `debias` (the keyword tells which). */
  loss: ValueNode | undefined;
  /** The task `after` names. */
  task: IToken | undefined;
}

export interface CallNode extends Extent {
  callee: IToken | undefined;
  lparen: IToken | undefined;
  args: ArgNode[];
  /** Between the arguments, and a trailing one when there are as many as arguments. */
  commas: IToken[];
  rparen: IToken | undefined;
}

export interface ListNode extends Extent {
  lbracket: IToken | undefined;
  items: ValueNode[];
  /** Between the items, and a trailing one when there are as many as items. */
  commas: IToken[];
  rbracket: IToken | undefined;
}

/** A call argument: one of the two is set unless the argument failed to parse. */
export interface ArgNode {
  within: Extent | undefined;
  named: NamedValueNode | undefined;
  value: ValueNode | undefined;
}

export interface NamedValueNode {
  within: Extent | undefined;
  name: IToken | undefined;
  colon: IToken | undefined;
  value: ValueNode | undefined;
  /** In a block: the `,` after the entry, if any. */
  comma: IToken | undefined;
}

/** A literal, `*` or name token, a list or a call; none when the value failed to parse. */
export interface ValueNode {
  within: Extent | undefined;
  token: IToken | undefined;
  list: ListNode | undefined;
  call: CallNode | undefined;
}

export function declNode(kind: DeclNode["kind"]): DeclNode {
  return {
    start: NaN,
    end: NaN,
    outer: undefined,
    kind,
    keyword: undefined,
    name: undefined,
    description: undefined,
    lbracket: undefined,
    count: undefined,
    rbracket: undefined,
    colon: undefined,
    equals: undefined,
    call: undefined,
    overKeyword: undefined,
    over: [],
    separators: [],
    type: undefined,
    factors: [],
    clauses: [],
    lcurly: undefined,
    entries: [],
    rcurly: undefined,
  };
}

export function clauseNode(outer: Extent | undefined): ClauseNode {
  return { start: NaN, end: NaN, outer, keyword: undefined, column: undefined, is: undefined, positives: [], pipes: [], weight: undefined, loss: undefined, task: undefined };
}

export function callNode(outer: Extent | undefined): CallNode {
  return { start: NaN, end: NaN, outer, callee: undefined, lparen: undefined, args: [], commas: [], rparen: undefined };
}

export function listNode(outer: Extent | undefined): ListNode {
  return { start: NaN, end: NaN, outer, lbracket: undefined, items: [], commas: [], rbracket: undefined };
}

export function argNode(within: Extent | undefined): ArgNode {
  return { within, named: undefined, value: undefined };
}

export function namedValueNode(within: Extent | undefined): NamedValueNode {
  return { within, name: undefined, colon: undefined, value: undefined, comma: undefined };
}

export function valueNode(within: Extent | undefined): ValueNode {
  return { within, token: undefined, list: undefined, call: undefined };
}

/** Recovery marks the tokens it invents; they have no offsets. */
export function isReal(token: IToken): boolean {
  return !token.isInsertedInRecovery && Number.isFinite(token.startOffset);
}

/**
 * Widens `extent` and the extents around it over a consumed token and
 * returns the token, or undefined for a token that recovery invented. Tokens
 * arrive in source order, so the first real one starts each extent and the
 * latest ends it.
 */
export function cover(extent: Extent | undefined, token: IToken): IToken | undefined {
  if (!isReal(token)) return undefined;
  const end = token.startOffset + token.image.length;
  for (let e = extent; e !== undefined; e = e.outer) {
    if (Number.isNaN(e.start)) e.start = token.startOffset;
    e.end = end;
  }
  return token;
}
