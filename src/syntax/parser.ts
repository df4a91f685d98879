import { CstParser, type CstNode, type IRecognitionException, type IToken } from "chevrotain";
import { plainErrorMessages } from "./error-messages.js";
import * as T from "./tokens.js";

/**
 * The grammar. Declarations start with a keyword, so recovery can resync at
 * the next one and report every syntax error of a file in one pass.
 *
 *   spec     := decl*
 *   decl     := model | feature | input | expert | gate | tower | task | block
 *   model    := 'model' NAME STRING?
 *   feature  := 'feature' NAME ':' call
 *   input    := 'input' NAME '=' call
 *   expert   := 'expert' NAME ('[' NUMBER ']')? '=' call
 *   gate     := 'gate' NAME '=' call 'over' NAME (',' NAME)*
 *   tower    := 'tower' NAME '=' call
 *   task     := 'task' NAME ':' NAME '=' NAME ('*' NAME)* clause*
 *   clause   := 'label' column ('is' value)? | 'where' column | 'weight' NUMBER | 'loss' value
 *   column   := NAME | STRING
 *   block    := ('train' | 'data') '{' (NAME ':' value ','?)* '}'
 *   call     := NAME '(' (arg (',' arg)* ','?)? ')'
 *   arg      := NAME ':' value | value
 *   value    := NUMBER | STRING | '*' | list | NAME | call
 *   list     := '[' (value (',' value)* ','?)? ']'
 */
class MtlParser extends CstParser {
  constructor() {
    super(T.ALL_TOKENS, { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: "onlyOffset", errorMessageProvider: plainErrorMessages });
    this.performSelfAnalysis();
  }

  public spec = this.RULE("spec", () => {
    this.MANY(() => this.SUBRULE(this.decl));
  });

  private decl = this.RULE("decl", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.featureDecl) },
      { ALT: () => this.SUBRULE(this.inputDecl) },
      { ALT: () => this.SUBRULE(this.expertDecl) },
      { ALT: () => this.SUBRULE(this.gateDecl) },
      { ALT: () => this.SUBRULE(this.towerDecl) },
      { ALT: () => this.SUBRULE(this.taskDecl) },
      { ALT: () => this.SUBRULE(this.block) },
    ]);
  });

  private modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.OPTION(() => this.CONSUME(T.StringLiteral, { LABEL: "description" }));
  });

  private featureDecl = this.RULE("featureDecl", () => {
    this.CONSUME(T.Feature);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.call);
  });

  private inputDecl = this.RULE("inputDecl", () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.call);
  });

  private expertDecl = this.RULE("expertDecl", () => {
    this.CONSUME(T.Expert);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(T.LBracket);
      this.CONSUME(T.NumberLiteral, { LABEL: "count" });
      this.CONSUME(T.RBracket);
    });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.call);
  });

  private gateDecl = this.RULE("gateDecl", () => {
    this.CONSUME(T.Gate);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.call);
    this.CONSUME(T.Over);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Identifier, { LABEL: "over" }) });
  });

  private towerDecl = this.RULE("towerDecl", () => {
    this.CONSUME(T.Tower);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.call);
  });

  private taskDecl = this.RULE("taskDecl", () => {
    this.CONSUME(T.Task);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.Colon);
    this.CONSUME2(T.Identifier, { LABEL: "type" });
    this.CONSUME(T.Equals);
    this.AT_LEAST_ONE_SEP({ SEP: T.Star, DEF: () => this.CONSUME3(T.Identifier, { LABEL: "factor" }) });
    this.MANY(() => this.SUBRULE(this.taskClause));
  });

  private taskClause = this.RULE("taskClause", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Label);
          this.SUBRULE(this.column);
          this.OPTION(() => {
            this.CONSUME(T.Is);
            this.SUBRULE(this.value, { LABEL: "positive" });
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Where);
          this.SUBRULE2(this.column, { LABEL: "where" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Weight);
          this.CONSUME(T.NumberLiteral, { LABEL: "weight" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Loss);
          this.SUBRULE2(this.value, { LABEL: "loss" });
        },
      },
    ]);
  });

  /** A data column: a name, or a string for names that are not identifiers. */
  private column = this.RULE("column", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.StringLiteral) }]);
  });

  private block = this.RULE("block", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Train, { LABEL: "kind" }) }, { ALT: () => this.CONSUME(T.Data, { LABEL: "kind" }) }]);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.namedValue);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RCurly);
  });

  private namedValue = this.RULE("namedValue", () => {
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.value);
  });

  private call = this.RULE("call", () => {
    this.CONSUME(T.Identifier, { LABEL: "callee" });
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.arg);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.arg);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RParen);
  });

  private arg = this.RULE("arg", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.namedValue) },
      { ALT: () => this.SUBRULE(this.value) },
    ]);
  });

  private value = this.RULE("value", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.Star) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.call) },
      { ALT: () => this.CONSUME(T.Identifier) },
    ]);
  });

  private list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.value);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.value);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });
}

/** Built once: chevrotain's grammar analysis is the expensive part. */
const parser = new MtlParser();

export interface CstResult {
  cst: CstNode;
  errors: IRecognitionException[];
}

export function parseTokens(tokens: IToken[]): CstResult {
  parser.input = tokens;
  const cst = parser.spec();
  return { cst, errors: parser.errors };
}
