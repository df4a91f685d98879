import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CompletionRequest, DocumentSymbolRequest, type CompletionItem } from "vscode-languageserver-protocol/node.js";
import { cliFrom } from "../helpers/paths.js";
import { LspClient } from "./client.js";

const CLI = cliFrom(import.meta.url);

describe("the server survives malformed frames and huge documents", () => {
  let client: LspClient;
  before(async () => {
    ({ client } = await LspClient.start(CLI));
  });
  after(async () => {
    assert.equal(await client.stop(), 0, client.stderr);
  });

  for (const [name, garbage] of [
    ["a negative Content-Length", "Content-Length: -5\r\n\r\n"],
    ["a header line without a colon", "abc\r\n\r\n"],
    ["bytes with no header at all", "abc"],
    ["a header without Content-Length", "Content-Type: text/plain\r\n\r\n{}"],
  ] as const) {
    test(`after ${name}, the next request is answered and the drop is logged`, async () => {
      const uri = `file:///frames/${name.replace(/\W+/g, "-")}.mtl`;
      await client.open(uri, 'model m "x"\n');
      const logs = client.logs.length;
      client.child.stdin!.write(garbage);
      const symbols = await client.request<unknown, unknown[]>(DocumentSymbolRequest.type, { textDocument: { uri } }, 5_000);
      assert.equal(symbols.length, 1);
      assert.match(client.logs.slice(logs).join("\n"), /dropped a malformed message \(.+\); reading on from the next 'Content-Length:' header/);
    });
  }

  test("completion at the end of a 2 MB one-line document answers within 2 s", async () => {
    // The old completion ran a regex over the text before the cursor that was
    // quadratic in the last name's length: minutes for this document.
    const text = 'model m "x"\ntask t : binary = ' + "a".repeat(2_000_000) + " ";
    const uri = "file:///huge.mtl";
    await client.open(uri, text);
    await client.waitForDiagnostics(uri, 1, 30_000); // the analysis is not what this test times
    const position = { line: 1, character: text.length - text.indexOf("\n") - 1 };
    const started = performance.now();
    const items = await client.request<unknown, CompletionItem[]>(CompletionRequest.type, { textDocument: { uri }, position });
    const ms = performance.now() - started;
    assert.ok(ms < 2_000, `completion took ${ms.toFixed(0)} ms`);
    assert.ok(Array.isArray(items));
  });
});
