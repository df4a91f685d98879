/**
 * Small texts that exercise the grammar's corners: the targeted tests assert
 * on them, and the cross-check compares engines on them.
 */
export const SAMPLES: Record<string, string> = {
  comments: [
    "## A doc comment documents the next line.",
    "  ## indented, still a doc comment",
    "# a plain comment ## with hashes",
    "model m \"d\" ## after code: a plain comment",
    "feature a : numeric() # trailing",
  ].join("\n"),
  softKeywords: [
    "feature label_x : numeric()",
    "feature label : numeric(column: weight)",
    "input x = concat(label, label_x, weight)",
    "task ctr : binary = t label click",
    "task a : binary = weight label label where \"col a\"  weight 0.5",
    "task inc : binary = t label income is \"50000+.\" loss bce",
    "task g : regression = ctcvr * gmv label amount loss huber(delta: 1.0)",
    "gate g = softmax(x) over e1, e2",
    "gate h = softmax(x) over",
    "  e1, e2",
  ].join("\n"),
  numbers: "train { lr: 1e-3, batch: 100_000, l2: 0.001, x: -1, y: .5, z: 2E+4 }",
  strings: [
    "feature c : categorical(vocab: [\"a\\\"b\", \"tab\\there\", \"back\\\\\", \"# not a comment\"], dim: 4)",
    "model m \"unterminated",
    "task t : binary = x label y",
  ].join("\n"),
  blocks: [
    "data {",
    "  format: csv(header: true, trim: false, missing: [\"\", \"?\"])",
    "  columns: [a, b,",
    "    label, weight]",
    "}",
    "train { optimizer: adam(lr: 0.001), batch: 512 epochs: 3 }",
  ].join("\n"),
  declarations: [
    "model census_mmoe",
    "feature binary : numeric()",
    "input x = concat(*)",
    "expert shared[4] = mlp(x, [128, 64], activation: relu, dropout: 0.1, batchnorm: true)",
    "gate g = softmax(x) over shared",
    "tower t = mlp(g, [32])",
    "task ctr : binary = t label click",
    "task gmv : regression = t label amount",
  ].join("\n"),
  recovery: [
    "feature a : categorical(buckets: 10, dim: 4",
    "tower t = mlp(x, [8])",
    "train { batch: 3",
    "task c : binary = t label y",
  ].join("\n"),
};
