import assert from "node:assert/strict";

/** A clean MMoE spec that the checker's rule and quick-fix tests edit to trigger one diagnostic, or to come close. */
export const RULE_SPEC = `model m
feature user_id : categorical(buckets: 100, dim: 8)
feature price : numeric()
input x = concat(*)
expert e[2] = mlp(x, [16])
gate g1 = softmax(x) over e
gate g2 = softmax(x) over e
tower t1 = mlp(g1, [8])
tower t2 = mlp(g2, [8])
task ctr : binary = t1 label click
task cvr : binary = t2 label purchase where click
`;

/** `base` with each exact text replaced by its pair (a text that does not occur is a bug in the test), then `extra` appended. */
export function editSpec(base: string, pairs: readonly [string, string][], extra = ""): string {
  let text = base;
  for (const [from, to] of pairs) {
    assert.ok(text.includes(from), `test bug: '${from}' not in the base spec`);
    text = text.replace(from, to);
  }
  return text + extra;
}
