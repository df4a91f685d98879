import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import type { Diagnostic, Fix } from "../../src/diagnostics/diagnostic.js";
import { editSpec, RULE_SPEC } from "../helpers/rule-spec.js";

/** A clean spec; each case edits it to make one "Did you mean ...?" typo. */
const VALID = editSpec(RULE_SPEC, [["numeric()", "numeric(transform: log1p)"]]);
const DATA = "data { columns: [user_id, price, click, purchase, raw_price] }\n";

const edit = (from: string, to: string, extra = ""): string => editSpec(VALID, [[from, to]], extra);

function apply(text: string, fix: Fix): string {
  return text.slice(0, fix.range.start.offset) + fix.newText + text.slice(fix.range.end.offset);
}

function only(text: string, code: string): Diagnostic {
  const hits = compileSource(text, "t.mtl").diagnostics.filter((d) => d.code === code);
  assert.equal(hits.length, 1, `one ${code} expected: ${hits.map((d) => d.message).join(" | ")}`);
  return hits[0]!;
}

interface Case {
  code: string;
  name: string;
  text: string;
  /** The text the single fix puts in place of the diagnostic's range. */
  newText: string;
  /** The exact message, unchanged by the fix being attached. */
  message?: string;
}

const CASES: Case[] = [
  { code: "MTL2001", name: "unknown name", text: edit("mlp(g1, [8])", "mlp(gl, [8])"), newText: "g1", message: "Cannot find 'gl'. Declare it, or fix the spelling. Did you mean 'g1'?" },
  { code: "MTL2001", name: "unknown name after 'over'", text: edit("over e\ngate g2", "over ee\ngate g2"), newText: "e" },
  { code: "MTL3001", name: "unknown constructor", text: edit("numeric(transform", "numerc(transform"), newText: "numeric" },
  { code: "MTL3001", name: "unknown nested constructor name", text: edit("", "", "train { optimizer: adamm }\n"), newText: "adam" },
  { code: "MTL3002", name: "unknown option", text: edit("dim: 8", "dimm: 8"), newText: "dim", message: "'categorical' has no option 'dimm'. Did you mean 'dim'?" },
  { code: "MTL3002", name: "unknown block entry", text: edit("", "", "train { bacth: 8 }\n"), newText: "batch" },
  { code: "MTL3009", name: "invalid choice (name)", text: edit("transform: log1p", "transform: logp1"), newText: "log1p" },
  { code: "MTL3009", name: "invalid choice (string stays a string)", text: edit("transform: log1p", 'transform: "logp1"'), newText: '"log1p"' },
  { code: "MTL3009", name: "task type", text: edit("task ctr : binary", "task ctr : binery"), newText: "binary" },
  { code: "MTL6001", name: "where column", text: edit("where click", "where clik", DATA), newText: "click" },
  { code: "MTL6001", name: "label column", text: edit("label purchase", "label purchse", DATA), newText: "purchase" },
  { code: "MTL6001", name: "quoted label column", text: edit("label purchase", 'label "purchse"', DATA), newText: '"purchase"' },
  { code: "MTL6001", name: "column option", text: edit("numeric(transform: log1p)", "numeric(transform: log1p, column: raw_prise)", DATA), newText: "raw_price" },
];

for (const c of CASES) {
  test(`${c.code} ${c.name}: one fix, replacing the diagnostic's range by the suggestion, and the spec checks clean`, () => {
    const d = only(c.text, c.code);
    if (c.message) assert.equal(d.message, c.message);
    assert.equal(d.fixes?.length, 1, JSON.stringify(d));
    const fix = d.fixes![0]!;
    assert.deepEqual(fix.range, d.range);
    assert.equal(fix.newText, c.newText);
    assert.match(fix.title, new RegExp(`^Change '.+' to '${c.newText.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}'$`));
    const fixed = apply(c.text, fix);
    assert.deepEqual(compileSource(fixed, "t.mtl").diagnostics.map((x) => `${x.code}: ${x.message}`), [], fixed);
  });
}

test("an accented name gets its ASCII spelling as a hint but no fix (it may be a column of the data, which another spelling would not read)", () => {
  const d = only(edit("label purchase", "label purchasé"), "MTL1008");
  assert.match(d.message, /Rename it, e\.g\. 'purchase'; a column may be written as a string, "purchasé"\./);
  assert.equal(d.fixes, undefined);
});

test("no suggestion, no fix: the message has no hint either", () => {
  const d = only(edit("mlp(g1, [8])", "mlp(nothing_close, [8])"), "MTL2001");
  assert.equal(d.message, "Cannot find 'nothing_close'. Declare it, or fix the spelling.");
  assert.equal(d.fixes, undefined);
  const option = only(edit("dim: 8", "zzzzzz: 1, dim: 8"), "MTL3002");
  assert.doesNotMatch(option.message, /Did you mean/);
  assert.equal(option.fixes, undefined);
});

test("a column implied by a feature's own name gets the hint but no fix (renaming the feature would break its uses)", () => {
  const text = edit("", "", "data { columns: [user_id, prices, click, purchase] }\n");
  const d = only(text, "MTL6001");
  assert.match(d.message, /Did you mean 'prices'\?/);
  assert.equal(d.fixes, undefined);
});

test("a suggested column that is not a plain name is quoted", () => {
  const text = edit("label purchase", "label purchse", 'data { columns: [user_id, price, click, "purchase!"] }\n');
  const d = only(text, "MTL6001");
  assert.equal(d.fixes?.[0]?.newText, '"purchase!"');
  assert.deepEqual(compileSource(apply(text, d.fixes![0]!), "t.mtl").diagnostics, []);
});

test("every diagnostic with a 'Did you mean' hint carries a fix for that name", () => {
  for (const c of CASES) {
    for (const d of compileSource(c.text, "t.mtl").diagnostics) {
      const hint = /Did you mean '(.*)'\?/.exec(d.message)?.[1];
      if (hint === undefined) continue;
      assert.ok(d.fixes?.some((f) => f.newText === hint || f.newText === JSON.stringify(hint)), `${d.code} '${d.message}' has no fix for '${hint}'`);
    }
  }
});
