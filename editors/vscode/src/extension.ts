import * as vscode from "vscode";
import { LanguageClient, type Executable, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";

/**
 * Starts the mtl language server (`mtl lsp --stdio`) for .mtl files. The
 * executable comes from the `mtl.server.path` setting (default: `mtl` on
 * PATH); a path to a `.js` file (a local build such as dist/src/cli/main.js)
 * is run with `node`. Changing the setting restarts the server.
 */

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("mtl.server.path")) await restart();
    }),
    vscode.commands.registerCommand("mtl.restartServer", restart),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

function serverExecutable(): Executable {
  const configured = vscode.workspace.getConfiguration("mtl").get<string>("server.path", "mtl").trim() || "mtl";
  const args = ["lsp", "--stdio"];
  // The server speaks LSP over stdin/stdout; `--stdio` is passed explicitly
  // (with no `transport`, the client adds no flag of its own).
  if (/\.[cm]?js$/i.test(configured)) return { command: "node", args: [configured, ...args] };
  return { command: configured, args, options: { shell: process.platform === "win32" } };
}

async function start(): Promise<void> {
  const executable = serverExecutable();
  const serverOptions: ServerOptions = { run: executable, debug: executable };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "mtl" },
      { scheme: "untitled", language: "mtl" },
    ],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.mtl") },
  };
  // The id "mtl" ties the client to the `mtl.trace.server` setting.
  client = new LanguageClient("mtl", "MTL Language Server", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(
      `Could not start the mtl language server (${executable.command} ${(executable.args ?? []).join(" ")}): ${message}. ` +
        "Set `mtl.server.path` to the mtl executable.",
    );
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running?.isRunning()) await running.stop();
}

async function restart(): Promise<void> {
  await stop();
  await start();
}
