import { createToken, Lexer, type TokenType } from "chevrotain";
import { NAME_PATTERN } from "./column-text.js";

/**
 * Declaration keywords are reserved: recovery resyncs on them, so a missing
 * name before one must not swallow it. Clause keywords (`label`, `where`,
 * `over`, ...) are "soft": each is also an Identifier (token category), so a
 * column may be called `label` or `weight` and still be written as a name.
 */
export const Identifier = createToken({ name: "Identifier", pattern: NAME_PATTERN, label: "a name" });

function keyword(word: string, soft = false): TokenType {
  return createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    // A plain pattern keeps chevrotain's first-character optimisation; longer_alt
    // makes `modelling` an Identifier rather than `model` + `ling`.
    pattern: new RegExp(word),
    longer_alt: Identifier,
    ...(soft && { categories: [Identifier] }),
    label: `'${word}'`,
  });
}

export const Model = keyword("model");
export const Feature = keyword("feature");
export const Input = keyword("input");
export const Expert = keyword("expert");
export const Gate = keyword("gate");
export const Tower = keyword("tower");
export const Task = keyword("task");
export const Train = keyword("train");
export const Data = keyword("data");
export const Over = keyword("over", true);
export const Label = keyword("label", true);
export const Is = keyword("is", true);
export const Where = keyword("where", true);
export const Weight = keyword("weight", true);
export const Loss = keyword("loss", true);

export const DECLARATION_KEYWORDS = [Model, Feature, Input, Expert, Gate, Tower, Task, Train, Data];
export const KEYWORDS = [...DECLARATION_KEYWORDS, Over, Label, Is, Where, Weight, Loss];

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
