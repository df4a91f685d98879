import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CodeActionRequest, type CodeAction, type Diagnostic, type InitializeResult, type Range, type TextEdit } from "vscode-languageserver-protocol/node.js";
import { compileSource } from "../../src/compiler.js";
import { cliFrom } from "../helpers/paths.js";
import { LspClient } from "./client.js";

const CLI = cliFrom(import.meta.url);

const SPEC = `model mmoe "CTR and CVR"
feature user_id : categorical(buckets: 10_000, dim: 16)
feature price   : numeric(transform: log1p)
input x = concat(*)
expert e[4] = mlp(x, [64], dropout: 0.1)
gate g_ctr = softmax(x) over e
gate g_cvr = softmax(x) over e
tower ctr_tower = mlp(g_ctr, [32])
tower cvr_tower = mlp(g_cvr, [32])
task ctr : binary = ctr_tower label click
task cvr : binary = cvr_tower label purchase
`;

let client: LspClient;
let init: InitializeResult;
let docs = 0;

before(async () => {
  ({ client, init } = await LspClient.start(CLI));
});

after(async () => {
  const code = await client.stop();
  assert.equal(code, 0, `server exit code; stderr: ${client.stderr}`);
});

async function openDoc(text: string): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
  const uri = `file:///tmp/mtl-code-actions/doc${++docs}.mtl`;
  await client.open(uri, text);
  return { uri, diagnostics: (await client.waitForDiagnostics(uri, 1)).diagnostics };
}

function actions(uri: string, range: Range, only?: string[]): Promise<CodeAction[]> {
  return client.request(CodeActionRequest.type, { textDocument: { uri }, range, context: { diagnostics: [], ...(only && { only }) } });
}

/** Applies LSP text edits (0-based line/character) to `text`. */
function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split("\n");
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

function errorsOf(text: string): string[] {
  return compileSource(text, "fixed.mtl").diagnostics.map((d) => `${d.code}: ${d.message}`);
}

test("initialize announces quick fixes", () => {
  assert.deepEqual(init.capabilities.codeActionProvider, { codeActionKinds: ["quickfix"] });
});

test("a typo'd reference: its diagnostic carries the fix, and the quick fix makes the spec check clean", async () => {
  const text = SPEC.replace("mlp(g_ctr, [32])", "mlp(g_ctrr, [32])");
  const { uri, diagnostics } = await openDoc(text);
  const d = diagnostics.find((x) => x.code === "MTL2001")!;
  assert.equal(d.message, "Cannot find 'g_ctrr'. Declare it, or fix the spelling. Did you mean 'g_ctr'?", "message unchanged");
  assert.deepEqual(d.data, { fixes: [{ title: "Change 'g_ctrr' to 'g_ctr'", range: d.range, newText: "g_ctr" }] });
  // The unused-declaration warning (g_ctr is now unused) has no fix.
  assert.equal(diagnostics.find((x) => x.code === "MTL2006")?.data, undefined);

  // A cursor inside the typo.
  const cursor = { line: d.range.start.line, character: d.range.start.character + 2 };
  const got = await actions(uri, { start: cursor, end: cursor });
  assert.equal(got.length, 1, JSON.stringify(got));
  const action = got[0]!;
  assert.equal(action.kind, "quickfix");
  assert.equal(action.title, "Change 'g_ctrr' to 'g_ctr'");
  assert.equal(action.isPreferred, true);
  assert.deepEqual(action.diagnostics, [d]);
  const edits = action.edit?.changes?.[uri];
  assert.deepEqual(edits, [{ range: d.range, newText: "g_ctr" }]);
  const fixed = applyEdits(text, edits!);
  assert.equal(fixed, SPEC);
  assert.deepEqual(errorsOf(fixed), []);
});

test("an unknown option: the quick fix renames the option", async () => {
  const text = SPEC.replace("dropout: 0.1", "dropuot: 0.1");
  const { uri, diagnostics } = await openDoc(text);
  const d = diagnostics.find((x) => x.code === "MTL3002")!;
  assert.equal(d.message, "'mlp' has no option 'dropuot'. Did you mean 'dropout'?");
  const got = await actions(uri, d.range);
  assert.deepEqual(got.map((a) => [a.title, a.kind, a.isPreferred]), [["Change 'dropuot' to 'dropout'", "quickfix", true]]);
  const fixed = applyEdits(text, got[0]!.edit!.changes![uri]!);
  assert.deepEqual(errorsOf(fixed), []);
});

test("an invalid choice written as a string stays a string", async () => {
  const text = SPEC.replace("transform: log1p", 'transform: "logp1"');
  const { uri, diagnostics } = await openDoc(text);
  const d = diagnostics.find((x) => x.code === "MTL3009")!;
  const got = await actions(uri, { start: d.range.end, end: d.range.end });
  assert.deepEqual(got[0]?.edit?.changes?.[uri], [{ range: d.range, newText: '"log1p"' }]);
  assert.deepEqual(errorsOf(applyEdits(text, got[0]!.edit!.changes![uri]!)), []);
});

test("a range that does not touch a fixable diagnostic gets no action", async () => {
  const text = SPEC.replace("mlp(g_ctr, [32])", "mlp(g_ctrr, [32])");
  const { uri, diagnostics } = await openDoc(text);
  const d = diagnostics.find((x) => x.code === "MTL2001")!;
  // The model line, far from the typo.
  assert.deepEqual(await actions(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 5 } }), []);
  // The same line, just past the typo's end.
  const after = { line: d.range.end.line, character: d.range.end.character + 2 };
  assert.deepEqual(await actions(uri, { start: after, end: after }), []);
  // The unused declaration's name (a diagnostic without fixes).
  const unused = diagnostics.find((x) => x.code === "MTL2006")!;
  assert.deepEqual(await actions(uri, unused.range), []);
  // A request for other kinds of actions only.
  assert.deepEqual(await actions(uri, d.range, ["refactor"]), []);
  assert.equal((await actions(uri, d.range, ["quickfix"])).length, 1);
});

test("a range over several typos gets one action each; a clean spec gets none", async () => {
  const text = SPEC.replace("mlp(g_ctr, [32])", "mlp(g_ctrr, [32])").replace("dropout: 0.1", "dropuot: 0.1");
  const { uri } = await openDoc(text);
  const whole = { start: { line: 0, character: 0 }, end: { line: text.split("\n").length, character: 0 } };
  const got = await actions(uri, whole);
  assert.deepEqual(got.map((a) => a.title), ["Change 'dropuot' to 'dropout'", "Change 'g_ctrr' to 'g_ctr'"]);
  let fixed = text;
  for (const a of [...got].reverse()) fixed = applyEdits(fixed, a.edit!.changes![uri]!);
  assert.equal(fixed, SPEC);

  const clean = await openDoc(SPEC);
  assert.deepEqual(clean.diagnostics, []);
  assert.deepEqual(await actions(clean.uri, whole), []);
});
