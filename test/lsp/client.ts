import { spawn, type ChildProcess } from "node:child_process";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node.js";
import {
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  type InitializeResult,
  type PublishDiagnosticsParams,
  type TextDocumentContentChangeEvent,
} from "vscode-languageserver-protocol/node.js";

/**
 * A real LSP client for tests and the benchmark: spawns `mtl lsp --stdio`
 * and talks JSON-RPC over its standard streams.
 */
export class LspClient {
  readonly connection: MessageConnection;
  readonly diagnostics: PublishDiagnosticsParams[] = [];
  /** window/logMessage texts, in order. */
  readonly logs: string[] = [];
  private waiters: { test: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  private readonly versions = new Map<string, number>();
  stderr = "";
  exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    this.connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.diagnostics.push(params);
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(params)) return true;
        w.resolve(params);
        return false;
      });
    });
    this.connection.onNotification(LogMessageNotification.type, (params) => void this.logs.push(params.message));
    child.stderr!.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
    this.connection.listen();
  }

  static async start(cli: string): Promise<{ client: LspClient; init: InitializeResult }> {
    const child = spawn(process.execPath, [cli, "lsp", "--stdio"], { stdio: ["pipe", "pipe", "pipe"] });
    const client = new LspClient(child);
    const init = await client.request<unknown, InitializeResult>(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {} });
    await client.connection.sendNotification(InitializedNotification.type, {});
    return { client, init };
  }

  /** A request that fails the test (instead of hanging) after `ms`. */
  async request<P, R>(type: { method: string } & object, params: P, ms = 10_000): Promise<R> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${type.method} timed out after ${ms} ms; stderr: ${this.stderr}`)), ms);
    });
    try {
      return await Promise.race([this.connection.sendRequest(type as never, params) as Promise<R>, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async open(uri: string, text: string): Promise<void> {
    this.versions.set(uri, 1);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "mtl", version: 1, text } });
  }

  /** Sends changes; returns the new version. */
  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<number> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: changes });
    return version;
  }

  /** The next diagnostics for `uri` at `version` (or any version when omitted). */
  waitForDiagnostics(uri: string, version?: number, ms = 10_000): Promise<PublishDiagnosticsParams> {
    const test = (p: PublishDiagnosticsParams) => p.uri === uri && (version === undefined || p.version === version);
    const seen = this.diagnostics.find(test);
    if (seen && version !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} v${version} within ${ms} ms; stderr: ${this.stderr}`)), ms);
      this.waiters.push({
        test,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });
  }

  /** shutdown + exit, and a kill if the server does not go within `ms`. */
  async stop(ms = 5_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const kill = new Promise<null>((resolve) => {
      timer = setTimeout(() => {
        this.child.kill("SIGKILL");
        resolve(null);
      }, ms);
    });
    try {
      await Promise.race([
        (async () => {
          await this.request(ShutdownRequest.type, undefined, ms);
          await this.connection.sendNotification(ExitNotification.type);
        })(),
        kill,
      ]).catch(() => this.child.kill("SIGKILL"));
      return await Promise.race([this.exited, kill]);
    } finally {
      clearTimeout(timer);
      this.connection.dispose();
    }
  }
}
