import type { Command } from "commander";
import { UsageError } from "../../errors.js";

interface LspOptions {
  stdio?: boolean;
}

export function registerLsp(program: Command): void {
  program
    .command("lsp")
    .summary("run the language server (diagnostics, hover, completion, navigation, rename, formatting)")
    .description(
      "Run the mtl language server over standard input and output (Language Server Protocol, JSON-RPC).\n" +
        "Editors start it as 'mtl lsp --stdio'. It reports the same diagnostics as 'mtl check' as you type,\n" +
        "and offers hover, completion, go to definition, references, rename, the outline and formatting.",
    )
    .option("--stdio", "talk LSP over standard input and output (the only transport)")
    .action(async (options: LspOptions) => {
      if (!options.stdio) throw new UsageError("'mtl lsp' needs '--stdio': editors start it as 'mtl lsp --stdio'");
      const { startStdioServer } = await import("../../lsp/server.js");
      startStdioServer();
      // The connection keeps the process alive; 'exit' from the client ends it.
      await new Promise<never>(() => {});
    });
}
