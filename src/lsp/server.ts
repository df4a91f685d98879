import {
  CodeActionKind,
  createConnection,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
} from "vscode-languageserver/node.js";
import { fileURLToPath } from "node:url";
import { TextDocument } from "vscode-languageserver-textdocument";
import { LineIndex } from "../syntax/range.js";
import { analyze, toLspDiagnostic, type Analysis } from "./analysis.js";
import { codeActions } from "./code-actions.js";
import { complete } from "./completion.js";
import { formatDocument } from "./formatting.js";
import { FrameFilter } from "./framing.js";
import { hover } from "./hover.js";
import { IncrementalCompiler } from "./incremental.js";
import { definition, documentSymbols, prepareRename, references, rename } from "./navigation.js";

/**
 * Diagnostics run at once after a quiet period, and at most once per
 * DEBOUNCE_MS while edits keep coming (the last run always sees the latest
 * text), so typing stays responsive on large specs.
 */
const DEBOUNCE_MS = Number(process.env["MTL_LSP_DEBOUNCE_MS"] ?? 50);

export const SERVER_CAPABILITIES: InitializeResult["capabilities"] = {
  textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
  hoverProvider: true,
  completionProvider: { triggerCharacters: [":", "(", ",", "=", "*"], resolveProvider: false },
  definitionProvider: true,
  referencesProvider: true,
  renameProvider: { prepareProvider: true },
  documentSymbolProvider: true,
  documentFormattingProvider: true,
  codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
};

/** The file name diagnostics carry: a path for file: URIs, the URI otherwise. */
export function fileOf(uri: string): string {
  if (uri.startsWith("file:")) {
    try {
      return fileURLToPath(uri);
    } catch {
      return uri;
    }
  }
  return uri;
}

/** The server on standard input and output, behind a framing filter that survives malformed frames. */
export function startStdioServer(): Connection {
  const filter = new FrameFilter((reason) => connection.console.warn(`mtl: dropped a malformed message (${reason}); reading on from the next 'Content-Length:' header`));
  const connection = createConnection(ProposedFeatures.all, process.stdin.pipe(filter), process.stdout);
  return startServer(connection);
}

export function startServer(connection: Connection): Connection {
  const documents = new TextDocuments(TextDocument);
  const analyses = new Map<string, Analysis>();
  const compilers = new Map<string, IncrementalCompiler>();
  const pending = new Map<string, NodeJS.Timeout>();
  const lastRun = new Map<string, number>();

  /** The analysis of the document's current version, computed on demand. */
  const analysisOf = (doc: TextDocument): Analysis => {
    const cached = analyses.get(doc.uri);
    if (cached && cached.version === doc.version) return cached;
    let compiler = compilers.get(doc.uri);
    if (!compiler) compilers.set(doc.uri, (compiler = new IncrementalCompiler()));
    const fresh = analyze(doc.uri, doc.version, doc.getText(), compiler, fileOf(doc.uri));
    analyses.set(doc.uri, fresh);
    return fresh;
  };

  const publish = (uri: string) => {
    const doc = documents.get(uri);
    if (!doc) return;
    lastRun.set(uri, performance.now());
    const analysis = analysisOf(doc);
    void connection.sendDiagnostics({ uri, version: doc.version, diagnostics: analysis.result.diagnostics.map((d) => toLspDiagnostic(d, uri)) });
  };

  const schedule = (uri: string) => {
    if (pending.has(uri)) return; // the scheduled run reads the latest text
    const since = performance.now() - (lastRun.get(uri) ?? -Infinity);
    const delay = since >= DEBOUNCE_MS ? 0 : DEBOUNCE_MS - since;
    pending.set(
      uri,
      setTimeout(() => {
        pending.delete(uri);
        try {
          publish(uri);
        } catch (error) {
          connection.console.error(`mtl: checking ${uri} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        }
      }, delay),
    );
  };

  connection.onInitialize((): InitializeResult => ({ capabilities: SERVER_CAPABILITIES, serverInfo: { name: "mtl", version: "0.1.0" } }));

  documents.onDidChangeContent((e) => schedule(e.document.uri));
  documents.onDidClose((e) => {
    const timer = pending.get(e.document.uri);
    if (timer) clearTimeout(timer);
    pending.delete(e.document.uri);
    analyses.delete(e.document.uri);
    compilers.delete(e.document.uri);
    lastRun.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  const withDoc = <P extends { textDocument: { uri: string } }, R>(fn: (doc: TextDocument, params: P) => R, empty: R) => (params: P): R => {
    const doc = documents.get(params.textDocument.uri);
    return doc ? fn(doc, params) : empty;
  };

  connection.onHover(withDoc((doc, p) => hover(analysisOf(doc), doc.offsetAt(p.position)), null));
  connection.onCompletion(
    withDoc((doc, p) => {
      const cached = analyses.get(doc.uri);
      // Names come from the last analysis; while typing it may lag a keystroke, which is fine for names.
      return complete(doc.getText(), doc.offsetAt(p.position), cached ?? analysisOf(doc));
    }, []),
  );
  connection.onDefinition(withDoc((doc, p) => definition(analysisOf(doc), doc.offsetAt(p.position)), null));
  connection.onReferences(withDoc((doc, p) => references(analysisOf(doc), doc.offsetAt(p.position), p.context.includeDeclaration), []));
  connection.onPrepareRename(withDoc((doc, p) => prepareRename(analysisOf(doc), doc.offsetAt(p.position)), null));
  connection.onRenameRequest(withDoc((doc, p) => rename(analysisOf(doc), doc.offsetAt(p.position), p.newName), null));
  connection.onCodeAction(withDoc((doc, p) => codeActions(analysisOf(doc), p.range, p.context.only), []));
  connection.onDocumentSymbol(withDoc((doc) => documentSymbols(analysisOf(doc)), []));
  connection.onDocumentFormatting(
    withDoc(async (doc) => {
      const text = doc.getText();
      return formatDocument(text, fileOf(doc.uri), new LineIndex(text));
    }, Promise.resolve(null)),
  );

  documents.listen(connection);
  connection.listen();
  return connection;
}
