import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CompletionRequest,
  DefinitionRequest,
  DocumentFormattingRequest,
  DocumentSymbolRequest,
  HoverRequest,
  PrepareRenameRequest,
  ReferencesRequest,
  RenameRequest,
  SymbolKind,
  type CompletionItem,
  type CompletionList,
  type DocumentSymbol,
  type Hover,
  type InitializeResult,
  type Location,
  type Position,
  type TextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver-protocol/node.js";
import { INITS } from "../../src/validation/schema.js";
import { cliFrom } from "../helpers/paths.js";
import { LspClient } from "./client.js";

const CLI = cliFrom(import.meta.url);
const HAS_FORMATTER = existsSync(fileURLToPath(new URL("../../src/format/index.js", import.meta.url)));

const SPEC = `## MMoE: shared experts, one gate per task.
model mmoe "CTR and CVR"

feature user_id  : categorical(buckets: 10_000, dim: 16)
feature item_id  : categorical(buckets: 10_000, dim: 16)
## Item price in dollars.
feature price    : numeric(transform: log1p, normalize: zscore)

input x = concat(*)
## The shared experts.
expert e[4] = mlp(x, [64], dropout: 0.1)
gate g_ctr = softmax(x) over e
gate g_cvr = softmax(x) over e
tower ctr_tower = mlp(g_ctr, [32])
tower cvr_tower = mlp(g_cvr, [32])

task ctr : binary = ctr_tower label click
task cvr : binary = cvr_tower
task ctcvr : binary = ctr * cvr label purchase weight 2

train { optimizer: adam(lr: 0.001) batch: 1024 }
`;

/** The 0-based position of the `occurrence`-th `needle` (plus `shift` characters). */
function at(text: string, needle: string, shift = 0, occurrence = 0): Position {
  let index = -1;
  for (let i = 0; i <= occurrence; i++) {
    index = text.indexOf(needle, index + 1);
    assert.ok(index >= 0, `'${needle}' #${occurrence} not found`);
  }
  return positionOf(text, index + shift);
}

function positionOf(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}

let client: LspClient;
let init: InitializeResult;
let docs = 0;

async function openDoc(text: string): Promise<string> {
  const uri = `file:///tmp/mtl-lsp-test/doc${++docs}.mtl`;
  await client.open(uri, text);
  return uri;
}

before(async () => {
  ({ client, init } = await LspClient.start(CLI));
});

after(async () => {
  const code = await client.stop();
  assert.equal(code, 0, `server exit code; stderr: ${client.stderr}`);
});

test("initialize announces the capabilities", () => {
  const caps = init.capabilities;
  assert.deepEqual(caps.textDocumentSync, { openClose: true, change: 2 });
  assert.equal(caps.hoverProvider, true);
  assert.ok(caps.completionProvider?.triggerCharacters?.includes(":"));
  assert.equal(caps.definitionProvider, true);
  assert.equal(caps.referencesProvider, true);
  assert.deepEqual(caps.renameProvider, { prepareProvider: true });
  assert.equal(caps.documentSymbolProvider, true);
  assert.equal(caps.documentFormattingProvider, true);
});

describe("diagnostics", () => {
  test("an error is published with its code and range, and cleared once fixed", async () => {
    const text = SPEC.replace("mlp(g_ctr, [32])", "mlp(g_ctrr, [32])");
    const uri = await openDoc(text);
    const first = await client.waitForDiagnostics(uri, 1);
    // The typo also leaves g_ctr unused: a warning.
    assert.deepEqual(first.diagnostics.map((d) => [d.code, d.severity]), [["MTL2006", 2], ["MTL2001", 1]]);
    const d = first.diagnostics[1]!;
    assert.equal(d.code, "MTL2001");
    assert.equal(d.source, "mtl");
    assert.equal(d.severity, 1);
    assert.match(d.message, /Did you mean 'g_ctr'\?/);
    const start = at(text, "g_ctrr");
    assert.deepEqual(d.range, { start, end: { line: start.line, character: start.character + 6 } });

    // An incremental edit deleting the extra 'r'.
    const r = { line: start.line, character: start.character + 5 };
    const version = await client.change(uri, [{ range: { start: r, end: { line: r.line, character: r.character + 1 } }, text: "" }]);
    const fixed = await client.waitForDiagnostics(uri, version);
    assert.deepEqual(fixed.diagnostics, []);
  });

  test("warnings keep their severity and several edits end in the latest version's diagnostics", async () => {
    const uri = await openDoc(SPEC);
    assert.deepEqual((await client.waitForDiagnostics(uri, 1)).diagnostics, []);
    const end = positionOf(SPEC, SPEC.length);
    let version = 0;
    for (const ch of "tower unused_t = mlp(x, [8])\n") {
      version = await client.change(uri, [{ range: { start: end, end }, text: ch }]);
      end.character += 1;
      if (ch === "\n") {
        end.line += 1;
        end.character = 0;
      }
    }
    const last = await client.waitForDiagnostics(uri, version);
    assert.deepEqual(
      last.diagnostics.map((d) => [d.code, d.severity]),
      [["MTL2006", 2]],
    );
  });

  test("the same diagnostics as 'mtl check --format json'", async () => {
    const text = SPEC.replace("dim: 16)\nfeature item_id", "dim: 0)\nfeature item_id")
      .replace("over e\ngate g_cvr", "over e, e\ngate g_cvr")
      .replace("task cvr : binary = cvr_tower", "task cvr : regression = cvr_tower label ctr_label\ntask cvr : binary = cvr_tower");
    const dir = mkdtempSync(join(tmpdir(), "mtl-lsp-"));
    try {
      const file = join(dir, "same.mtl");
      writeFileSync(file, text);
      const run = spawnSync(process.execPath, [CLI, "check", "--format", "json", file], { encoding: "utf8", timeout: 30_000 });
      const expected = (JSON.parse(run.stdout) as { code: string; severity: string; message: string; range: { start: { line: number; column: number }; end: { line: number; column: number } } }[]).map((d) => ({
        code: d.code,
        severity: d.severity === "error" ? 1 : 2,
        message: d.message,
        range: { start: { line: d.range.start.line - 1, character: d.range.start.column - 1 }, end: { line: d.range.end.line - 1, character: d.range.end.column - 1 } },
      }));
      assert.ok(expected.length >= 4, run.stdout);
      const uri = pathToFileURL(file).href;
      await client.open(uri, text);
      const published = await client.waitForDiagnostics(uri, 1);
      assert.deepEqual(
        published.diagnostics.map((d) => ({ code: d.code, severity: d.severity, message: d.message, range: d.range })),
        expected,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a syntax error is reported as MTL1003", async () => {
    const uri = await openDoc(SPEC.replace("gate g_cvr = softmax(x) over e", "gate g_cvr = softmax(x over e"));
    const published = await client.waitForDiagnostics(uri, 1);
    assert.ok(published.diagnostics.some((d) => d.code === "MTL1003"), JSON.stringify(published.diagnostics));
  });
});

describe("hover", () => {
  let uri: string;
  before(async () => {
    uri = await openDoc(SPEC);
  });
  const hoverText = async (needle: string, shift = 0, occurrence = 0): Promise<string> => {
    const result = await client.request<unknown, Hover | null>(HoverRequest.type, { textDocument: { uri }, position: at(SPEC, needle, shift, occurrence) });
    assert.ok(result, `no hover on '${needle}'`);
    return (result.contents as { value: string }).value;
  };

  test("an expert group: its doc comment, count and width", async () => {
    const text = await hoverText("e[4]");
    assert.match(text, /The shared experts\./);
    assert.match(text, /expert group\*\* `e` of 4 experts, width 64 each/);
  });

  test("a reference shows the declaration it names", async () => {
    const text = await hoverText("g_ctr, [32]", 1);
    assert.match(text, /gate g_ctr = softmax\(x\) over e/);
    assert.match(text, /\*\*gate\*\* `g_ctr`, width 64/);
    assert.match(text, /mixes 4 experts from `e` \[4\]/);
  });

  test("a feature: width, column, doc", async () => {
    const text = await hoverText("feature price", 8);
    assert.match(text, /Item price in dollars\./);
    assert.match(text, /\(numeric\), width 1/);
    assert.match(text, /reads column `price`/);
  });

  test("tasks: type, label, weight, latent, product", async () => {
    const ctcvr = await hoverText("ctcvr");
    assert.match(ctcvr, /\*\*binary task\*\* `ctcvr`/);
    assert.match(ctcvr, /product: `ctr` × `cvr`/);
    assert.match(ctcvr, /label: column `purchase`/);
    assert.match(ctcvr, /weight: 2/);
    const cvr = await hoverText("task cvr", 5);
    assert.match(cvr, /latent: no label, trained through `ctcvr`/);
    assert.match(cvr, /head on `cvr_tower` \(width 32\)/);
    assert.match(cvr, /weight: 1 \(default\)/);
  });

  test("a debiased task: its method, propensity, clip and imputation; the method's doc", async () => {
    const text = SPEC.replace("task cvr : binary = cvr_tower\n", "task cvr : binary = cvr_tower label buy where click debias dr(ctr, imputation: imp)\ntower imp_t = mlp(x, [4])\ntask imp : regression = imp_t\n");
    const debiased = await openDoc(text);
    const hover = async (needle: string, shift: number) =>
      ((await client.request<unknown, Hover | null>(HoverRequest.type, { textDocument: { uri: debiased }, position: at(text, needle, shift) }))!.contents as { value: string }).value;
    assert.match(await hover("task cvr", 5), /debias: dr, every row's loss, the `where` rows' divided by `ctr`'s probability \(clipped at 0\.05\), imputed by `imp`/);
    assert.match(await hover("dr(ctr", 0), /Doubly robust/);
  });

  test("an option name shows its doc from the schema; a constructor its doc", async () => {
    assert.match(await hoverText("dropout"), /Dropout rate after every layer/);
    assert.match(await hoverText("normalize"), /Statistics are fitted on the training data/);
    assert.match(await hoverText("categorical"), /embedded in a learned table/);
    assert.match(await hoverText("lr:"), /Learning rate/);
    assert.match(await hoverText("adam"), /Adam\./);
  });

  test("nothing on a number", async () => {
    const result = await client.request<unknown, Hover | null>(HoverRequest.type, { textDocument: { uri }, position: at(SPEC, "1024") });
    assert.equal(result, null);
  });
});

describe("completion", () => {
  /** Labels offered at the end of SPEC + `tail`. */
  const labels = async (tail: string, base = SPEC): Promise<string[]> => {
    const text = base + tail;
    const uri = await openDoc(text);
    const result = await client.request<unknown, CompletionItem[] | CompletionList | null>(CompletionRequest.type, {
      textDocument: { uri },
      position: positionOf(text, text.length),
    });
    const items = Array.isArray(result) ? result : (result?.items ?? []);
    return items.map((i) => i.label);
  };

  test("declaration keywords where a declaration can start", async () => {
    const got = await labels("\nfe");
    for (const k of ["feature", "input", "expert", "gate", "tower", "task"]) assert.ok(got.includes(k), `${k} in ${got}`);
    assert.ok(!got.includes("model"), "model is already declared");
    assert.ok((await labels("", "")).includes("model"));
  });

  test("constructors after 'feature x :' and after '=' by declaration kind", async () => {
    assert.deepEqual((await labels("feature f2 : ")).sort(), ["categorical", "numeric", "sequence"]);
    assert.deepEqual(await labels("expert e2 = "), ["mlp"]);
    assert.deepEqual(await labels("tower t2 = m"), ["mlp"]);
    assert.deepEqual(await labels("gate g2 = "), ["softmax"]);
    assert.deepEqual(await labels("input y = "), ["concat"]);
  });

  test("option names of the constructor being written, without those already given", async () => {
    assert.deepEqual((await labels("feature f3 : numeric(")).sort(), ["column", "fill", "normalize", "transform"]);
    assert.deepEqual((await labels("feature f3 : numeric(transform: log1p, ")).sort(), ["column", "fill", "normalize"]);
    assert.deepEqual((await labels("feature f3 : categorical(dim: 8,\n  ")).sort(), ["buckets", "column", "shares", "vocab"]);
    const mlpOptions = await labels("expert e2 = mlp(x, [8], ");
    assert.deepEqual(mlpOptions.sort(), ["activation", "batchnorm", "dropout", "init"]);
    assert.deepEqual(await labels("gate g2 = softmax(x, "), ["init"]);
  });

  test("enumerated values of an option", async () => {
    assert.deepEqual(await labels("feature f3 : numeric(transform: "), ["none", "log1p", "sqrt"]);
    assert.deepEqual(await labels("feature s : sequence(of: item_id, pool: "), ["mean", "sum", "max"]);
    assert.deepEqual(await labels("feature f3 : numeric(normalize: z"), ["none", "zscore", "minmax"]);
    assert.ok((await labels("tower t2 = mlp(x, [8], activation: ")).includes("gelu"));
    assert.deepEqual(await labels("tower t2 = mlp(x, [8], batchnorm: "), ["true", "false"]);
    assert.deepEqual(await labels("tower t2 = mlp(x, [8], init: "), [...INITS]);
  });

  test("declared names filtered by the kinds allowed there", async () => {
    assert.deepEqual(await labels("gate g3 = softmax(x) over "), ["e"]);
    const mlpInput = await labels("tower t2 = mlp(");
    for (const name of ["user_id", "price", "x", "g_ctr", "ctr_tower"]) assert.ok(mlpInput.includes(name), `${name} in ${mlpInput}`);
    for (const name of ["e", "ctr", "t2"]) assert.ok(!mlpInput.includes(name), `${name} not in ${mlpInput}`);
    const concat = await labels("input y = concat(user_id, ");
    assert.ok(concat.includes("*") && concat.includes("price") && concat.includes("x"));
    assert.deepEqual(await labels("feature s : sequence(of: "), ["user_id", "item_id", "price"]);
    assert.deepEqual((await labels("task t2 : binary = ctr * ")).sort(), ["ctcvr", "ctr", "cvr"]);
    const head = await labels("task t2 : binary = ");
    assert.ok(head.includes("ctr_tower") && head.includes("ctr") && !head.includes("e"));
  });

  test("task types, clauses, losses, where columns; block options and values", async () => {
    assert.deepEqual(await labels("task t2 : "), ["binary", "regression"]);
    assert.deepEqual((await labels("task t2 : binary = ctr_tower ")).sort(), ["after", "calibrate", "debias", "label", "loss", "sample_weight", "weight", "where"]);
    assert.deepEqual((await labels("task t2 : binary = ctr_tower label c2 weight 2 ")).sort(), ["after", "calibrate", "debias", "loss", "sample_weight", "where"]);
    assert.deepEqual((await labels("task t2 : binary = ctr_tower label c2 where click debias ")).sort(), ["dr", "ips"]);
    assert.deepEqual(await labels("task t2 : regression = ctr_tower loss "), ["mse", "huber"]);
    assert.deepEqual((await labels("task t2 : binary = ctr_tower where ")).sort(), ["click", "purchase"]);
    const noBlocks = SPEC.replace(/train \{.*\}\n/, "");
    assert.deepEqual(await labels("train { optimizer: ", noBlocks), ["adam", "adagrad", "sgd", "rmsprop"]);
    assert.deepEqual((await labels("train { optimizer: sgd(", noBlocks)).sort(), ["lr", "momentum"]);
    assert.deepEqual(await labels("train { weighting: ", noBlocks), ["fixed", "uncertainty", "gradnorm", "dwa"]);
    assert.deepEqual((await labels("train { weighting: gradnorm(", noBlocks)).sort(), ["alpha", "lr"]);
    assert.deepEqual((await labels("train { batch: 64 ", noBlocks)).sort(), ["epochs", "l2", "optimizer", "sample_weight", "seed", "weighting"]);
    assert.deepEqual(await labels("data { format: ", noBlocks), ["csv", "jsonl", "parquet"]);
  });

  test("nothing inside comments and strings", async () => {
    assert.deepEqual(await labels("# feature f : "), []);
    assert.deepEqual(await labels('feature f : categorical(vocab: ["a'), []);
  });
});

describe("navigation and rename", () => {
  let uri: string;
  before(async () => {
    uri = await openDoc(SPEC);
  });

  test("go to definition", async () => {
    const loc = await client.request<unknown, Location | null>(DefinitionRequest.type, { textDocument: { uri }, position: at(SPEC, "g_ctr, [32]", 2) });
    assert.ok(loc);
    const start = at(SPEC, "g_ctr =");
    assert.deepEqual(loc, { uri, range: { start, end: { line: start.line, character: start.character + 5 } } });
  });

  test("find references, with and without the declaration", async () => {
    const position = at(SPEC, "input x", 6);
    const withDecl = await client.request<unknown, Location[]>(ReferencesRequest.type, { textDocument: { uri }, position, context: { includeDeclaration: true } });
    const without = await client.request<unknown, Location[]>(ReferencesRequest.type, { textDocument: { uri }, position, context: { includeDeclaration: false } });
    assert.equal(without.length, 3); // e, g_ctr, g_cvr
    assert.equal(withDecl.length, 4);
    assert.deepEqual(withDecl[0]!.range.start, at(SPEC, "input x", 6));
  });

  test("rename edits the declaration and every reference", async () => {
    const edit = await client.request<unknown, WorkspaceEdit>(RenameRequest.type, { textDocument: { uri }, position: at(SPEC, "gate g_ctr", 5), newName: "gate_ctr" });
    const edits = edit.changes![uri]!;
    assert.equal(edits.length, 2);
    assert.ok(edits.every((e) => e.newText === "gate_ctr"));
    assert.deepEqual(edits.map((e) => e.range.start), [at(SPEC, "g_ctr ="), at(SPEC, "g_ctr, [32]")]);
    const text = applyEdits(SPEC, edits);
    assert.match(text, /tower ctr_tower = mlp\(gate_ctr, \[32\]\)/);
  });

  test("renaming a feature keeps the column it reads", async () => {
    const edit = await client.request<unknown, WorkspaceEdit>(RenameRequest.type, { textDocument: { uri }, position: at(SPEC, "feature price", 8), newName: "item_price" });
    const text = applyEdits(SPEC, edit.changes![uri]!);
    assert.match(text, /feature item_price {4}: numeric\(transform: log1p, normalize: zscore, column: price\)/);
  });

  test("prepareRename gives the range; rename refuses a clash, a keyword and a non-name", async () => {
    const prepared = await client.request<unknown, { range: unknown; placeholder: string }>(PrepareRenameRequest.type, { textDocument: { uri }, position: at(SPEC, "ctr_tower label", 3) });
    assert.equal(prepared.placeholder, "ctr_tower");
    const refuse = (newName: string, pattern: RegExp) =>
      assert.rejects(client.request(RenameRequest.type, { textDocument: { uri }, position: at(SPEC, "ctr_tower ="), newName }), (error: Error) => {
        assert.match(error.message, pattern);
        return true;
      });
    await refuse("cvr_tower", /'cvr_tower' is already declared \(tower at line 15\)/);
    await refuse("where", /is a keyword/);
    await refuse("task", /is a keyword/);
    await refuse("1tower", /not a valid name/);
    await refuse("my tower", /not a valid name/);
    await assert.rejects(client.request(PrepareRenameRequest.type, { textDocument: { uri }, position: at(SPEC, "1024") }), /Only a declared/);
  });

  test("document symbols: the model with every declaration inside", async () => {
    const symbols = await client.request<unknown, DocumentSymbol[]>(DocumentSymbolRequest.type, { textDocument: { uri } });
    assert.equal(symbols.length, 1);
    const root = symbols[0]!;
    assert.equal(root.name, "mmoe");
    assert.equal(root.kind, SymbolKind.Module);
    const children = root.children!;
    assert.deepEqual(
      children.map((c) => c.name),
      ["user_id", "item_id", "price", "x", "e", "g_ctr", "g_cvr", "ctr_tower", "cvr_tower", "ctr", "cvr", "ctcvr", "train"],
    );
    const kind = (name: string) => children.find((c) => c.name === name)!.kind;
    assert.equal(kind("user_id"), SymbolKind.Field);
    assert.equal(kind("e"), SymbolKind.Class);
    assert.equal(kind("ctr"), SymbolKind.Function);
    assert.equal(children.find((c) => c.name === "e")!.detail, "expert ×4, width 64");
  });
});

describe("formatting", { skip: HAS_FORMATTER ? false : "src/format is not built yet" }, () => {
  test("one full-document edit; nothing on a syntax error", async () => {
    const messy = SPEC.replace("gate g_cvr = softmax(x) over e", "gate   g_cvr=softmax( x )   over e");
    const uri = await openDoc(messy);
    const edits = await client.request<unknown, TextEdit[] | null>(DocumentFormattingRequest.type, { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
    assert.ok(edits && edits.length === 1, JSON.stringify(edits));
    assert.deepEqual(edits[0]!.range.start, { line: 0, character: 0 });
    assert.deepEqual(edits[0]!.range.end, positionOf(messy, messy.length));
    assert.doesNotMatch(edits[0]!.newText, /softmax\( x \)/);

    const broken = await openDoc(SPEC.replace("softmax(x) over e", "softmax(x over e"));
    const none = await client.request<unknown, TextEdit[] | null>(DocumentFormattingRequest.type, { textDocument: { uri: broken }, options: { tabSize: 2, insertSpaces: true } });
    assert.ok(none === null || none.length === 0);
  });
});

test("'mtl lsp' without --stdio is a usage error", () => {
  const run = spawnSync(process.execPath, [CLI, "lsp"], { encoding: "utf8", timeout: 10_000 });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--stdio/);
});

function applyEdits(text: string, edits: TextEdit[]): string {
  const offset = (p: Position) => {
    const lines = text.split("\n");
    return lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  };
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}
