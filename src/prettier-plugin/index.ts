import type { AstPath, Doc, Parser, Plugin, Printer, SupportLanguage } from "prettier";
import { builders } from "prettier/doc";
import { formatSource } from "../format/index.js";

/**
 * Prettier plugin for `.mtl` specs: `prettier --plugin <this file> --write "**\/*.mtl"`.
 * The parser runs the mtl formatter (the same layout as `mtl fmt` and the
 * language server) and the printer returns its lines; syntax errors are
 * thrown as prettier syntax errors with a location.
 */
export interface MtlRoot {
  type: "mtl-root";
  text: string;
  formatted: string;
}

export const languages: SupportLanguage[] = [{ name: "mtl", extensions: [".mtl"], parsers: ["mtl"], vscodeLanguageIds: ["mtl"] }];

const parser: Parser<MtlRoot> = {
  astFormat: "mtl",
  parse(text, options) {
    const file = options.filepath ?? "<input>.mtl";
    const result = formatSource(text, file);
    if (result.text === undefined) {
      const first = result.diagnostics[0];
      const where = first ? ` (${first.range.start.line}:${first.range.start.column})` : "";
      const error = new SyntaxError(`${first?.message ?? "Syntax error."}${first ? ` [${first.code}]` : ""}${where}`) as SyntaxError & {
        loc?: { start: { line: number; column: number }; end: { line: number; column: number } };
      };
      if (first) {
        error.loc = {
          start: { line: first.range.start.line, column: first.range.start.column },
          end: { line: first.range.end.line, column: first.range.end.column },
        };
      }
      throw error;
    }
    return { type: "mtl-root", text, formatted: result.text };
  },
  locStart: () => 0,
  locEnd: (node) => node.text.length,
};

const printer: Printer<MtlRoot> = {
  print(path: AstPath<MtlRoot>): Doc {
    const lines = path.node.formatted.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    return lines.length === 0 ? "" : [builders.join(builders.hardline, lines), builders.hardline];
  },
};

export const parsers = { mtl: parser };
export const printers = { mtl: printer };

const plugin: Plugin<MtlRoot> = { languages, parsers, printers };
export default plugin;
