import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDocument } from "../../src/lsp/formatting.js";
import { LineIndex } from "../../src/syntax/range.js";

const MESSY = ["model m", "feature a:numeric()  # kept", "input x=concat(*)", "tower t = mlp(x,[4])", "task k:binary=t label click", ""];
const CLEAN = ["model m", "feature a : numeric()  # kept", "input x = concat(*)", "tower t = mlp(x, [4])", "task k : binary = t label click", ""];

async function format(text: string) {
  return formatDocument(text, "f.mtl", new LineIndex(text));
}

test("a CRLF document is formatted with CRLF line ends, as 'mtl fmt' keeps a file's (the edit used to turn it into LF)", async () => {
  const edits = await format(MESSY.join("\r\n"));
  assert.equal(edits?.length, 1);
  assert.equal(edits[0]!.newText, CLEAN.join("\r\n"));
  assert.deepEqual(await format(CLEAN.join("\r\n")), [], "a formatted CRLF document needs no edit");
});

test("an LF document stays LF; a BOM the editor kept stays", async () => {
  assert.equal((await format(MESSY.join("\n")))?.[0]?.newText, CLEAN.join("\n"));
  assert.deepEqual(await format(CLEAN.join("\n")), []);
  assert.equal((await format("\uFEFF" + MESSY.join("\n")))?.[0]?.newText, "\uFEFF" + CLEAN.join("\n"));
  assert.deepEqual(await format("\uFEFF" + CLEAN.join("\n")), []);
});
