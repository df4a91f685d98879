import { EOF, tokenLabel, type IParserErrorMessageProvider, type TokenType } from "./chevrotain.js";

/**
 * Chevrotain asks for a message per recognition error; we answer with the
 * "expected ..." phrase only, in plain words. parse.ts adds what was found
 * and turns it into an MTL1003 diagnostic.
 */
const RULE_EXPECTATIONS: Record<string, string> = {
  decl: "a declaration ('model', 'feature', 'input', 'expert', 'gate', 'tower', 'task', 'train' or 'data')",
  spec: "a declaration ('model', 'feature', 'input', 'expert', 'gate', 'tower', 'task', 'train' or 'data')",
  value: "a value (a number, a string, a name, a list '[...]' or a call like 'adam(lr: 0.001)')",
  taskClause: "'label', 'where', 'weight' or 'loss'",
  arg: "an argument (a value, or 'name: value')",
  block: "'train' or 'data'",
  column: "a column name",
};

/** A missing closer usually means a missing separator before it. */
const CLOSERS: Record<string, string> = {
  "call:RParen": "',' or ')'",
  "list:RBracket": "',' or ']'",
  "block:RCurly": "an entry 'name: value' or '}'",
};

export const plainErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, ruleName }) =>
    expected === EOF ? RULE_EXPECTATIONS["decl"]! : (CLOSERS[`${ruleName}:${expected.name}`] ?? tokenLabel(expected)),
  buildNotAllInputParsedMessage: () => RULE_EXPECTATIONS["decl"]!,
  buildNoViableAltMessage: ({ expectedPathsPerAlt, ruleName }) =>
    RULE_EXPECTATIONS[ruleName] ?? oneOf(expectedPathsPerAlt.flatMap((alt) => alt.map((path) => path[0]!))),
  buildEarlyExitMessage: ({ expectedIterationPaths, ruleName }) =>
    RULE_EXPECTATIONS[ruleName] ?? oneOf(expectedIterationPaths.map((path) => path[0]!)),
};

function oneOf(types: TokenType[]): string {
  const labels = [...new Set(types.filter(Boolean).map((t) => tokenLabel(t)))];
  if (labels.length <= 1) return labels[0] ?? "something else";
  return `${labels.slice(0, -1).join(", ")} or ${labels[labels.length - 1]}`;
}
