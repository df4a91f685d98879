import { createToken, Lexer, type TokenType } from "./chevrotain.js";
import { NAME_PATTERN } from "./column-text.js";

/**
 * Declaration keywords are reserved: recovery resyncs on them, so a missing
 * name before one must not swallow it. Clause keywords (`label`, `where`,
 * `over`, ...) are "soft": each is also an Identifier (token category), so a
 * column may be called `label` or `weight` and still be written as a name.
 */
export const Identifier = createToken({ name: "Identifier", pattern: NAME_PATTERN, label: "a name" });

/** A token that is a name: an Identifier, or a soft keyword (which is one too, by category). */
export function isNameToken(t: { tokenType: TokenType } | undefined): boolean {
  return t !== undefined && (t.tokenType === Identifier || t.tokenType.CATEGORIES?.includes(Identifier) === true);
}

/** What completion and the error messages say about a keyword: its word and what it introduces. */
export interface KeywordInfo {
  word: string;
  doc: string;
  /** Starts a declaration; reserved (never a name). */
  declaration: boolean;
}

const keywordInfo = new Map<TokenType, KeywordInfo>();

function keyword(word: string, doc: string, kind: "declaration" | "soft"): TokenType {
  const soft = kind === "soft";
  const type = createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    // A plain pattern keeps chevrotain's first-character optimisation; longer_alt
    // makes `modelling` an Identifier rather than `model` + `ling`.
    pattern: new RegExp(word),
    longer_alt: Identifier,
    ...(soft && { categories: [Identifier] }),
    label: `'${word}'`,
  });
  keywordInfo.set(type, { word, doc, declaration: !soft });
  return type;
}

export const Model = keyword("model", 'model NAME "description": exactly one per file.', "declaration");
export const Feature = keyword("feature", "feature NAME : categorical(...) | numeric(...) | sequence(...): a data column and its encoding.", "declaration");
export const Input = keyword("input", "input NAME = concat(a, b, ...): side-by-side concatenation; concat(*) is every feature.", "declaration");
export const Expert = keyword("expert", "expert NAME[N]? = mlp(IN, [units...], options): a network, or a group of N for a gate to mix.", "declaration");
export const Gate = keyword("gate", "gate NAME = softmax(IN) over G1, G2, ...: a softmax mixture of expert groups.", "declaration");
export const Tower = keyword("tower", "tower NAME = mlp(IN, [units...], options): a task's own network.", "declaration");
export const Task = keyword("task", "task NAME : binary|regression = NODE (or T1 * T2) clauses: a prediction head.", "declaration");
export const Train = keyword("train", "train { key: value ... }: training settings.", "declaration");
export const Data = keyword("data", "data { key: value ... }: how data files are laid out.", "declaration");
export const Over = keyword("over", "over G1, G2, ...: the expert groups this gate mixes.", "soft");
export const Label = keyword("label", 'label COLUMN (is "A" | "B"): the column holding the label; without \'is\', 0/1 or true/false.', "soft");
export const Is = keyword("is", 'COLUMN is "A" | "B": the values that mean 1.', "soft");
export const Where = keyword("where", 'where COLUMN (is "V"): train and evaluate only rows where this 0/1 column of the data is 1 (or one of the values).', "soft");
export const Weight = keyword("weight", "weight NUMBER: the task's loss weight (default 1).", "soft");
export const SampleWeight = keyword(
  "sample_weight",
  "sample_weight COLUMN: each row's weight in the task's loss and metrics, read from this column (finite, >= 0).",
  "soft",
);
export const Loss = keyword("loss", "loss bce | mse | huber(delta: D).", "soft");
export const After = keyword("after", "after TASK: AITM's adaptive information transfer from the previous step of a funnel (TASK) into this task's head.", "soft");
export const Calibrate = keyword("calibrate", "calibrate NUMBER: AITM's behavioural-expectation calibrator, NUMBER * mean(max(p - p_after, 0)), keeping this task's probability below the 'after' task's.", "soft");
export const Debias = keyword("debias", "debias ips(CTR_TASK) | dr(CTR_TASK, imputation: TASK): ESCM² counterfactual CVR loss over the entire space, propensity from the task labelling the `where` column.", "soft");

/** Every keyword, in the order the lexer tries them. */
export const KEYWORDS: readonly TokenType[] = [...keywordInfo.keys()];
export const DECLARATION_KEYWORDS: readonly TokenType[] = KEYWORDS.filter((t) => keywordInfo.get(t)!.declaration);
/** The words of all keywords, and of the reserved (declaration) ones. */
export const KEYWORD_WORDS: ReadonlySet<string> = new Set(KEYWORDS.map((t) => keywordInfo.get(t)!.word));
export const DECLARATION_WORDS: ReadonlySet<string> = new Set(DECLARATION_KEYWORDS.map((t) => keywordInfo.get(t)!.word));

/** The word and doc of a keyword token type; undefined for any other token type. */
export function keywordOf(type: TokenType): KeywordInfo | undefined {
  return keywordInfo.get(type);
}

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED, line_breaks: true });
/** Doc comments are kept in their own group and attached to the declaration below. */
export const DocComment = createToken({ name: "DocComment", pattern: /##[^\n\r]*/, group: "docs" });
export const Comment = createToken({ name: "Comment", pattern: /#[^\n\r]*/, group: "comments" });

export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: "a string" });
/** Kept as a string so the parser goes on; the lexer stage reports it once. */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\\n\r]|\\.)*/,
  categories: [StringLiteral],
  label: "a string",
});
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /-?(?:\d[\d_]*(?:\.\d[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?/,
  label: "a number",
});

export const LParen = createToken({ name: "LParen", pattern: "(", label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: ")", label: "')'" });
export const LBracket = createToken({ name: "LBracket", pattern: "[", label: "'['" });
export const RBracket = createToken({ name: "RBracket", pattern: "]", label: "']'" });
export const LCurly = createToken({ name: "LCurly", pattern: "{", label: "'{'" });
export const RCurly = createToken({ name: "RCurly", pattern: "}", label: "'}'" });
export const Colon = createToken({ name: "Colon", pattern: ":", label: "':'" });
export const Equals = createToken({ name: "Equals", pattern: "=", label: "'='" });
export const Comma = createToken({ name: "Comma", pattern: ",", label: "','" });
export const Star = createToken({ name: "Star", pattern: "*", label: "'*'" });
/** Between the values of `label COLUMN is "A" | "B"`. */
export const Pipe = createToken({ name: "Pipe", pattern: "|", label: "'|'" });

export const OPENING = new Set<TokenType>([LParen, LBracket, LCurly]);
export const CLOSING = new Set<TokenType>([RParen, RBracket, RCurly]);

/** Order matters: doc comments before comments, keywords before Identifier. */
export const ALL_TOKENS: TokenType[] = [
  WhiteSpace,
  DocComment,
  Comment,
  StringLiteral,
  UnterminatedString,
  NumberLiteral,
  ...KEYWORDS,
  Identifier,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LCurly,
  RCurly,
  Colon,
  Equals,
  Comma,
  Star,
  Pipe,
];
