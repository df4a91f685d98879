/**
 * chevrotain, loaded from the one-file build its package ships
 * (lib/chevrotain.mjs, the same release). The package's entry imports
 * lodash-es as some 640 separate modules, which Node resolves, reads and
 * compiles one by one: about 0.3 s of every command's start on a quiet
 * machine (measured), for a parser that needs a few lodash functions. The
 * package exports only its entry, so the file is found beside it.
 * The browser playground substitutes `export * from "chevrotain"`.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as Api from "chevrotain";

export type * from "chevrotain";

const entry = createRequire(import.meta.url).resolve("chevrotain");
const api = (await import(pathToFileURL(join(dirname(entry), "..", "chevrotain.mjs")).href)) as typeof Api;

export const { EOF, createToken, createTokenInstance, tokenLabel, createSyntaxDiagramsCode } = api;
export const Lexer = api.Lexer;
export type Lexer = Api.Lexer;
export const EmbeddedActionsParser = api.EmbeddedActionsParser;
export type EmbeddedActionsParser = Api.EmbeddedActionsParser;
