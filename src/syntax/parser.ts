import {
  EmbeddedActionsParser,
  type IOrAlt,
  type IRecognitionException,
  type ISerializedGast,
  type ISyntacticContentAssistPath,
  type IToken,
  type TokenType,
} from "./chevrotain.js";
import { plainErrorMessages } from "./error-messages.js";
import { argNode, callNode, clauseNode, cover, declNode, listNode, namedValueNode, valueNode, type DeclNode } from "./parse-tree.js";
import * as T from "./tokens.js";

/**
 * The grammar. Declarations start with a keyword, so recovery can resync at
 * the next one and report every syntax error of a file in one pass.
 *
 *   spec     := decl*
 *   decl     := model | feature | input | expert | gate | tower | task | block
 *   model    := 'model' NAME STRING?
 *   feature  := 'feature' NAME ('[' NUMBER ']')? ':' call
 *   input    := 'input' NAME '=' call
 *   expert   := 'expert' NAME ('[' NUMBER ']')? '=' call
 *   gate     := 'gate' NAME '=' call 'over' NAME (',' NAME)*
 *   tower    := 'tower' NAME '=' call
 *   task     := 'task' NAME ':' NAME '=' NAME ('*' NAME)* clause*
 *   clause   := 'label' column values? | 'where' column values? | 'weight' NUMBER | 'sample_weight' column
 *             | 'loss' value | 'after' NAME | 'calibrate' NUMBER | 'debias' value
 *   column   := NAME | STRING
 *   values   := 'is' value ('|' value)*
 *   block    := ('train' | 'data') '{' (NAME ':' value ','?)* '}'
 *   call     := NAME '(' (arg (',' arg)* ','?)? ')'
 *   arg      := NAME ':' value | value
 *   value    := NUMBER | STRING | '*' | list | NAME | call
 *   list     := '[' (value (',' value)* ','?)? ']'
 *
 * The actions fill the light tree of parse-tree.ts. A rule gets the node it
 * fills from its caller, which has attached it already (declarations start
 * their own), so whatever a rule consumed before a syntax error stays in the
 * tree. Rule parameters must be optional: chevrotain's grammar recording
 * calls each rule once without arguments.
 */
class MtlParser extends EmbeddedActionsParser {
  /** Receives each declaration of the current parse once the parser is done with it. */
  private onDecl: (node: DeclNode) => void = () => {};
  /** The declaration being parsed. */
  private current: DeclNode | undefined;

  constructor() {
    super(T.ALL_TOKENS, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: plainErrorMessages });
    this.performSelfAnalysis();
  }

  public spec = this.RULE("spec", () => {
    this.MANY(() => {
      this.SUBRULE(this.decl);
      this.finishDecl();
    });
  });

  private decl = this.RULE("decl", () => {
    this.OR(this.declAlternatives);
  });

  private readonly declAlternatives: IOrAlt<void>[] = [
    { ALT: () => this.SUBRULE(this.modelDecl) },
    { ALT: () => this.SUBRULE(this.featureDecl) },
    { ALT: () => this.SUBRULE(this.inputDecl) },
    { ALT: () => this.SUBRULE(this.expertDecl) },
    { ALT: () => this.SUBRULE(this.gateDecl) },
    { ALT: () => this.SUBRULE(this.towerDecl) },
    { ALT: () => this.SUBRULE(this.taskDecl) },
    { ALT: () => this.SUBRULE(this.block) },
  ];

  private modelDecl = this.RULE("modelDecl", () => {
    const node = this.declaration("model");
    node.keyword = cover(node, this.CONSUME(T.Model));
    node.name = cover(node, this.CONSUME(T.Identifier));
    this.OPTION(() => {
      node.description = cover(node, this.CONSUME(T.StringLiteral));
    });
  });

  private featureDecl = this.RULE("featureDecl", () => {
    const node = this.declaration("feature");
    node.keyword = cover(node, this.CONSUME(T.Feature));
    node.name = cover(node, this.CONSUME(T.Identifier));
    this.OPTION(() => {
      node.lbracket = cover(node, this.CONSUME(T.LBracket));
      node.count = cover(node, this.CONSUME(T.NumberLiteral));
      node.rbracket = cover(node, this.CONSUME(T.RBracket));
    });
    node.colon = cover(node, this.CONSUME(T.Colon));
    this.SUBRULE(this.call, { ARGS: [(node.call = callNode(node))] });
  });

  private inputDecl = this.RULE("inputDecl", () => {
    const node = this.declaration("input");
    node.keyword = cover(node, this.CONSUME(T.Input));
    node.name = cover(node, this.CONSUME(T.Identifier));
    node.equals = cover(node, this.CONSUME(T.Equals));
    this.SUBRULE(this.call, { ARGS: [(node.call = callNode(node))] });
  });

  private expertDecl = this.RULE("expertDecl", () => {
    const node = this.declaration("expert");
    node.keyword = cover(node, this.CONSUME(T.Expert));
    node.name = cover(node, this.CONSUME(T.Identifier));
    this.OPTION(() => {
      node.lbracket = cover(node, this.CONSUME(T.LBracket));
      node.count = cover(node, this.CONSUME(T.NumberLiteral));
      node.rbracket = cover(node, this.CONSUME(T.RBracket));
    });
    node.equals = cover(node, this.CONSUME(T.Equals));
    this.SUBRULE(this.call, { ARGS: [(node.call = callNode(node))] });
  });

  private gateDecl = this.RULE("gateDecl", () => {
    const node = this.declaration("gate");
    node.keyword = cover(node, this.CONSUME(T.Gate));
    node.name = cover(node, this.CONSUME(T.Identifier));
    node.equals = cover(node, this.CONSUME(T.Equals));
    this.SUBRULE(this.call, { ARGS: [(node.call = callNode(node))] });
    node.overKeyword = cover(node, this.CONSUME(T.Over));
    this.separatedNames(node, node.over, T.Comma, () => this.CONSUME2(T.Identifier));
  });

  private towerDecl = this.RULE("towerDecl", () => {
    const node = this.declaration("tower");
    node.keyword = cover(node, this.CONSUME(T.Tower));
    node.name = cover(node, this.CONSUME(T.Identifier));
    node.equals = cover(node, this.CONSUME(T.Equals));
    this.SUBRULE(this.call, { ARGS: [(node.call = callNode(node))] });
  });

  private taskDecl = this.RULE("taskDecl", () => {
    const node = this.declaration("task");
    node.keyword = cover(node, this.CONSUME(T.Task));
    node.name = cover(node, this.CONSUME(T.Identifier));
    node.colon = cover(node, this.CONSUME(T.Colon));
    node.type = cover(node, this.CONSUME2(T.Identifier));
    node.equals = cover(node, this.CONSUME(T.Equals));
    this.separatedNames(node, node.factors, T.Star, () => this.CONSUME3(T.Identifier));
    this.MANY(() => this.SUBRULE(this.taskClause, { ARGS: [add(node.clauses, clauseNode(node))] }));
  });

  private taskClause = this.RULE("taskClause", (clause = clauseNode(undefined)) => {
    this.OR([
      {
        ALT: () => {
          clause.keyword = cover(clause, this.CONSUME(T.Label));
          this.SUBRULE(this.column, { ARGS: [clause] });
          this.OPTION(() => this.SUBRULE(this.values, { ARGS: [clause] }));
        },
      },
      {
        ALT: () => {
          clause.keyword = cover(clause, this.CONSUME(T.Where));
          this.SUBRULE2(this.column, { ARGS: [clause] });
          this.OPTION2(() => this.SUBRULE2(this.values, { ARGS: [clause] }));
        },
      },
      {
        ALT: () => {
          clause.keyword = cover(clause, this.CONSUME(T.Weight));
          clause.weight = cover(clause, this.CONSUME(T.NumberLiteral));
        },
      },
      {
        ALT: () => {
          clause.keyword = cover(clause, this.CONSUME(T.SampleWeight));
          this.SUBRULE3(this.column, { ARGS: [clause] });
        },
      },
      {
        ALT: () => {
          clause.keyword = cover(clause, this.CONSUME(T.Loss));
          this.SUBRULE2(this.value, { ARGS: [(clause.loss = valueNode(clause))] });
        },
      },
      {
        ALT: () => {
          clause.keyword = cover(clause, this.CONSUME(T.After));
          clause.task = cover(clause, this.CONSUME(T.Identifier));
        },
      },
      {
        ALT: () => {
          clause.keyword = cover(clause, this.CONSUME(T.Calibrate));
          clause.weight = cover(clause, this.CONSUME2(T.NumberLiteral));
        },
      },
      {
        ALT: () => {
          clause.keyword = cover(clause, this.CONSUME(T.Debias));
          this.SUBRULE3(this.value, { ARGS: [(clause.loss = valueNode(clause))] });
        },
      },
    ]);
  });

  /** A data column: a name, or a string for names that are not identifiers. */
  private column = this.RULE("column", (clause = clauseNode(undefined)) => {
    this.OR([
      { ALT: () => (clause.column = cover(clause, this.CONSUME(T.Identifier))) },
      { ALT: () => (clause.column = cover(clause, this.CONSUME(T.StringLiteral))) },
    ]);
  });

  /** The field values that mean 1: `is "50000+."`, or `is ">50K" | ">50K."` for files that spell it differently. */
  private values = this.RULE("values", (clause = clauseNode(undefined)) => {
    clause.is = cover(clause, this.CONSUME(T.Is));
    this.SUBRULE(this.value, { ARGS: [add(clause.positives, valueNode(clause))] });
    this.MANY(() => {
      pushReal(clause.pipes, cover(clause, this.CONSUME(T.Pipe)));
      this.SUBRULE2(this.value, { ARGS: [add(clause.positives, valueNode(clause))] });
    });
  });

  private block = this.RULE("block", () => {
    const node = this.declaration("block");
    this.OR([
      { ALT: () => (node.keyword = cover(node, this.CONSUME(T.Train))) },
      { ALT: () => (node.keyword = cover(node, this.CONSUME(T.Data))) },
    ]);
    node.lcurly = cover(node, this.CONSUME(T.LCurly));
    this.MANY(() => {
      const entry = add(node.entries, namedValueNode(node));
      this.SUBRULE(this.namedValue, { ARGS: [entry] });
      this.OPTION(() => (entry.comma = cover(node, this.CONSUME(T.Comma))));
    });
    node.rcurly = cover(node, this.CONSUME(T.RCurly));
  });

  private namedValue = this.RULE("namedValue", (node = namedValueNode(undefined)) => {
    node.name = cover(node.within, this.CONSUME(T.Identifier));
    node.colon = cover(node.within, this.CONSUME(T.Colon));
    this.SUBRULE(this.value, { ARGS: [(node.value = valueNode(node.within))] });
  });

  private call = this.RULE("call", (node = callNode(undefined)) => {
    node.callee = cover(node, this.CONSUME(T.Identifier));
    node.lparen = cover(node, this.CONSUME(T.LParen));
    this.OPTION(() => {
      this.SUBRULE(this.arg, { ARGS: [add(node.args, argNode(node))] });
      this.MANY(() => {
        pushReal(node.commas, cover(node, this.CONSUME(T.Comma)));
        this.SUBRULE2(this.arg, { ARGS: [add(node.args, argNode(node))] });
      });
      this.OPTION2(() => pushReal(node.commas, cover(node, this.CONSUME2(T.Comma))));
    });
    node.rparen = cover(node, this.CONSUME(T.RParen));
  });

  private arg = this.RULE("arg", (node = argNode(undefined)) => {
    this.argNode = node;
    this.OR(this.argAlternatives);
  });

  /** The node `arg` fills; see valueAlternatives. */
  private argNode = argNode(undefined);
  private readonly argAlternatives: IOrAlt<void>[] = [
    {
      ALT: () => {
        const node = this.argNode;
        this.SUBRULE(this.namedValue, { ARGS: [(node.named = namedValueNode(node.within))] });
      },
    },
    {
      ALT: () => {
        const node = this.argNode;
        this.SUBRULE(this.value, { ARGS: [(node.value = valueNode(node.within))] });
      },
    },
  ];

  private value = this.RULE("value", (node = valueNode(undefined)) => {
    this.valueNode = node;
    this.OR(this.valueAlternatives);
  });

  /**
   * The node `value` fills. Its alternatives are built once rather than on
   * every call (that allocated megabytes per large file), so they cannot
   * capture the node: the rule stores it here just before OR, and the chosen
   * alternative reads it before any nested rule can overwrite it.
   */
  private valueNode = valueNode(undefined);
  private readonly valueAlternatives: IOrAlt<void>[] = [
    { ALT: () => this.valueToken(this.CONSUME(T.NumberLiteral)) },
    { ALT: () => this.valueToken(this.CONSUME(T.StringLiteral)) },
    { ALT: () => this.valueToken(this.CONSUME(T.Star)) },
    {
      ALT: () => {
        const node = this.valueNode;
        this.SUBRULE(this.list, { ARGS: [(node.list = listNode(node.within))] });
      },
    },
    {
      ALT: () => {
        const node = this.valueNode;
        this.SUBRULE(this.call, { ARGS: [(node.call = callNode(node.within))] });
      },
    },
    { ALT: () => this.valueToken(this.CONSUME(T.Identifier)) },
  ];

  private valueToken(token: IToken): void {
    const node = this.valueNode;
    node.token = cover(node.within, token);
  }

  private list = this.RULE("list", (node = listNode(undefined)) => {
    node.lbracket = cover(node, this.CONSUME(T.LBracket));
    this.OPTION(() => {
      this.SUBRULE(this.value, { ARGS: [add(node.items, valueNode(node))] });
      this.MANY(() => {
        pushReal(node.commas, cover(node, this.CONSUME(T.Comma)));
        this.SUBRULE2(this.value, { ARGS: [add(node.items, valueNode(node))] });
      });
      this.OPTION2(() => pushReal(node.commas, cover(node, this.CONSUME2(T.Comma))));
    });
    node.rbracket = cover(node, this.CONSUME(T.RBracket));
  });

  /**
   * Recovery may drop a stray token (LA(1)) to match the one after it, but
   * never a declaration's keyword: the next declaration starts there, and
   * taking `feature :` `input x` for `feature : x` would lose `input x`.
   */
  protected override canTokenTypeBeDeletedInRecovery(): boolean {
    return !T.keywordOf(this.LA(1).tokenType)?.declaration;
  }

  private declaration(kind: DeclNode["kind"]): DeclNode {
    this.finishDecl();
    this.current = declNode(kind);
    return this.current;
  }

  /**
   * Hands the current declaration on. Its parse tree is done with once its
   * rule has returned, so it can become garbage right away rather than live
   * through the whole parse.
   */
  private finishDecl(): void {
    const node = this.current;
    this.current = undefined;
    if (node) this.onDecl(node);
  }

  start(tokens: IToken[], onDecl: (node: DeclNode) => void): void {
    this.current = undefined; // left over from the grammar recording
    this.onDecl = onDecl;
    this.input = tokens;
  }

  /** Hands on a declaration the parser gave up on half-way, and returns the syntax errors. */
  finish(): IRecognitionException[] {
    this.finishDecl();
    const errors = this.errors;
    // Let go of this file's tokens and trees until the next parse.
    this.onDecl = () => {};
    this.input = [];
    return errors;
  }

  /**
   * `NAME (SEP NAME)*` into `names`, the separators into `node.separators`.
   * AT_LEAST_ONE_SEP consumes the separators itself, so each name but the
   * first covers the separator just before it: a declaration that ends in a
   * dangling `,` or `*` spans it.
   */
  private separatedNames(node: DeclNode, names: IToken[], separator: TokenType, consumeName: () => IToken): void {
    let first = true;
    this.AT_LEAST_ONE_SEP({
      SEP: separator,
      DEF: () => {
        if (!first) pushReal(node.separators, cover(node, this.LA(0)));
        first = false;
        const name = cover(node, consumeName());
        if (name) names.push(name);
      },
    });
  }
}

function add<N>(list: N[], node: N): N {
  list.push(node);
  return node;
}

function pushReal(list: IToken[], token: IToken | undefined): void {
  if (token) list.push(token);
}

/** Built once: chevrotain's grammar analysis is the expensive part. */
const parser = new MtlParser();

/**
 * Parses `tokens`, calling `onDecl` with each declaration in source order as
 * soon as it is complete (recovery may leave parts missing), and returns the
 * syntax errors.
 */
export function parseTokens(tokens: IToken[], onDecl: (node: DeclNode) => void): IRecognitionException[] {
  parser.start(tokens, onDecl);
  parser.spec();
  return parser.finish();
}

/** The parse tree of one declaration's tokens, as far as they go (for completion, at the cursor). */
export function parseDeclaration(tokens: IToken[]): DeclNode | undefined {
  let first: DeclNode | undefined;
  parseTokens(tokens, (node) => (first ??= node));
  return first;
}

/**
 * What the grammar allows after `tokens` (which start at a declaration, or
 * are empty): chevrotain's content assist over the recorded grammar, each
 * path naming the next token type and the rules it sits in. Empty when the
 * tokens are not a prefix of any spec.
 */
export function nextTokens(tokens: IToken[]): ISyntacticContentAssistPath[] {
  return parser.computeContentAssist("spec", tokens);
}

/** The grammar as chevrotain records it, for the generated syntax diagrams (syntax-diagrams.ts). */
export function grammarProductions(): ISerializedGast[] {
  return parser.getSerializedGastProductions();
}
