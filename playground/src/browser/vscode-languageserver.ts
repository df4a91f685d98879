/**
 * Browser version of `vscode-languageserver/node.js` for the editor services
 * the language worker runs (src/lsp/completion.ts, hover.ts): they need only
 * the protocol's constants, which vscode-languageserver re-exports from
 * vscode-languageserver-types; the server and its JSON-RPC stay out of the
 * bundle (a third of the worker).
 */
export { CodeActionKind, CompletionItemKind, SymbolKind } from "vscode-languageserver-types";
