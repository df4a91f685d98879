import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../helpers/paths.js";
import type { Token } from "./textmate.js";

/**
 * vscode-textmate + vscode-oniguruma (the engine VS Code runs), when they can
 * be found: in the project's node_modules, or in the folder named by
 * MTL_TEXTMATE_DIR (one holding node_modules/ with both). Neither is a
 * dependency of the project, so the cross-check tests skip without them.
 */
export interface ReferenceEngine {
  tokenizeText(text: string): Token[][];
}

export async function loadReferenceEngine(grammarPath: string): Promise<ReferenceEngine | undefined> {
  return loadReferenceEngineFor(readFileSync(grammarPath, "utf8"), grammarPath);
}

/** The same for a grammar given as JSON text (`path` only names it in errors). */
export async function loadReferenceEngineFor(grammarJson: string, path = "grammar.json"): Promise<ReferenceEngine | undefined> {
  const base = process.env["MTL_TEXTMATE_DIR"] ?? repoRoot();
  const require = createRequire(join(base, "package.json"));
  let textmatePath: string;
  let onigPath: string;
  try {
    textmatePath = require.resolve("vscode-textmate");
    onigPath = require.resolve("vscode-oniguruma");
  } catch {
    return undefined;
  }
  const rootScope = (JSON.parse(grammarJson) as { scopeName: string }).scopeName;
  const wasmPath = join(dirname(onigPath), "onig.wasm");
  if (!existsSync(wasmPath)) return undefined;
  // Both are CommonJS bundles; their exports arrive on `default`.
  const tm = unwrap(await import(pathToFileURL(textmatePath).href));
  const onig = unwrap(await import(pathToFileURL(onigPath).href));
  const wasm = readFileSync(wasmPath);
  await onig.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new tm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new onig.OnigScanner(patterns),
      createOnigString: (s: string) => new onig.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) => (scopeName === rootScope ? tm.parseRawGrammar(grammarJson, path) : null),
  });
  const grammar = await registry.loadGrammar(rootScope);
  return {
    tokenizeText(text: string): Token[][] {
      let stack = tm.INITIAL;
      return text.split(/\r?\n/).map((line) => {
        const result = grammar.tokenizeLine(line, stack);
        stack = result.ruleStack;
        return result.tokens.map((t: Token) => ({
          startIndex: t.startIndex,
          endIndex: Math.min(t.endIndex, line.length),
          scopes: [...t.scopes],
        }));
      });
    },
  };
}

function unwrap(mod: any): any {
  return mod.default ?? mod;
}
