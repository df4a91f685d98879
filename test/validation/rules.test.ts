import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { CATALOG, type DiagnosticCode } from "../../src/diagnostics/catalog.js";
import { rangeText, unmark } from "../helpers/marked.js";
import { editSpec, RULE_SPEC } from "../helpers/rule-spec.js";

const VALID = RULE_SPEC;

/** Replaces exact text in VALID (which must occur), then appends `extra`. */
const edit = (pairs: [string, string][], extra = ""): string => editSpec(VALID, pairs, extra);

const REGRESSION_TASKS = `tower t3 = mlp(g2, [8])
task r1 : regression = t3 label amount
task r2 : regression = t2 label amount2
`;

interface Case {
  code: DiagnosticCode;
  /** Spec with «marked» range the diagnostic must cover exactly. */
  trigger: string;
  /** A near miss that must not report this code. */
  nearMiss: string;
  /** Text the message must contain (e.g. a suggestion). */
  says?: string;
}

const CASES: Case[] = [
  { code: "MTL1001", trigger: edit([["tower t1", "«@»tower t1"]]), nearMiss: edit([["tower t1", "# @ in a comment\ntower t1"]]) },
  { code: "MTL1002", trigger: edit([["model m", 'model m «"unterminated»']]), nearMiss: edit([["model m", 'model m "terminated"']]) },
  { code: "MTL1003", trigger: edit([["feature price : numeric()", "feature price «numeric»()"]]), nearMiss: VALID, says: "Expected ':', but found the name 'numeric'" },
  { code: "MTL1003", trigger: edit([["mlp(g1, [8])", "mlp(g1 «[»8])"]]), nearMiss: VALID, says: "Expected ',' or ')'" },
  { code: "MTL1003", trigger: edit([["model m", "«modle» m"]]), nearMiss: VALID, says: "but found the name 'modle'. Did you mean 'model'?" },
  { code: "MTL1003", trigger: edit([["label click\n", "«lbael» click\n"]]), nearMiss: VALID, says: "Did you mean 'label'?" },
  { code: "MTL1003", trigger: edit([["where click", "«wehre» click"]]), nearMiss: VALID, says: "Did you mean 'where'?" },
  { code: "MTL1006", trigger: edit([["e[2]", "e[«1e999»]"]]), nearMiss: edit([["e[2]", "e[2e0]"]]) },
  { code: "MTL1008", trigger: edit([["label purchase", "label «purchasé»"]]), nearMiss: edit([["label purchase", 'label "purchasé"']]), says: "Rename it, e.g. 'purchase'" },
  { code: "MTL1007", trigger: edit([["tower t1", "«## stray doc»\n\ntower t1"]]), nearMiss: edit([["tower t1", "## attached doc\ntower t1"]]) },

  { code: "MTL2001", trigger: edit([["mlp(g1, [8])", "mlp(«gl», [8])"]]), nearMiss: VALID, says: "Did you mean 'g1'?" },
  { code: "MTL2001", trigger: edit([["over e\ngate g2", "over «exp»\ngate g2"]]), nearMiss: VALID },
  { code: "MTL2002", trigger: edit([], "tower «t1» = mlp(g1, [4])\n"), nearMiss: edit([], "tower t4 = mlp(g1, [4])\n") },
  { code: "MTL2003", trigger: edit([["gate g1 = softmax(x) over e", "gate g1 = softmax(x) over «t2»"]]), nearMiss: VALID, says: "'t2' is a tower, but an expert is needed here" },
  { code: "MTL2003", trigger: edit([["mlp(g1, [8])", "mlp(«ctr», [8])"]]), nearMiss: VALID },
  { code: "MTL2003", trigger: edit([], "feature hist : sequence(of: «price», max_len: 5)\n"), nearMiss: edit([], "feature hist : sequence(of: user_id, max_len: 5)\n") },
  { code: "MTL2004", trigger: VALID.replace("model m\n", ""), nearMiss: VALID },
  { code: "MTL2005", trigger: edit([], "train { batch: 8 }\n«train» { epochs: 2 }\n"), nearMiss: edit([], "train { batch: 8  epochs: 2 }\n") },
  { code: "MTL2005", trigger: edit([], "«model» n\n"), nearMiss: VALID },
  { code: "MTL2006", trigger: edit([], "tower «spare» = mlp(x, [4])\n"), nearMiss: edit([], "tower spare = mlp(x, [4])\ntask extra : binary = spare label click\n") },
  { code: "MTL2006", trigger: edit([["concat(*)", "concat(user_id, price)"]], "feature «spare»[3] : numeric()\n"), nearMiss: edit([["concat(*)", "concat(user_id, price, spare2)"]], "feature spare[3] : numeric()\n") },
  { code: "MTL2007", trigger: edit([], "feature «f»[3] : numeric()\nfeature f2 : numeric()\n"), nearMiss: edit([], "feature f[3] : numeric()\nfeature f4 : numeric()\n"), says: "the feature group 'f[3]' declares the features f1 … f3, and 'f2' is one of them" },
  { code: "MTL2007", trigger: edit([], "feature f[3] : numeric()\nfeature «f2» : numeric()\n"), nearMiss: edit([], "feature f[3] : numeric()\nfeature f_2 : numeric()\n") },
  { code: "MTL2007", trigger: edit([], "feature f2 : numeric()\nfeature «f»[3] : numeric()\n"), nearMiss: edit([], "feature f2 : numeric()\nfeature f[1] : numeric()\n") },
  { code: "MTL2007", trigger: edit([], "feature f[12] : numeric()\nfeature «f1»[2] : numeric()\n"), nearMiss: edit([], "feature f[12] : numeric()\nfeature y1[2] : numeric()\n") },

  { code: "MTL3001", trigger: edit([["numeric()", "«numerc»()"]]), nearMiss: VALID, says: "Did you mean 'numeric'?" },
  { code: "MTL3001", trigger: edit([], "train { optimizer: «adamw»(lr: 0.1) }\n"), nearMiss: edit([], "train { optimizer: adam(lr: 0.1) }\n"), says: "Did you mean 'adam'?" },
  { code: "MTL3002", trigger: edit([["dim: 8", "«dims»: 8, dim: 8"]]), nearMiss: VALID, says: "Did you mean 'dim'?" },
  { code: "MTL3002", trigger: edit([], "train { «batch_size»: 8 }\n"), nearMiss: edit([], "train { batch: 8 }\n") },
  { code: "MTL3003", trigger: edit([["categorical(buckets: 100, dim: 8)", "«categorical(buckets: 100)»"]]), nearMiss: VALID },
  { code: "MTL3003", trigger: edit([], "feature hist : «sequence(of: user_id)»\n"), nearMiss: edit([], "feature hist : sequence(of: user_id, max_len: 3)\n") },
  { code: "MTL3004", trigger: edit([["dim: 8", "dim: «0»"]]), nearMiss: edit([["dim: 8", "dim: 1"]]) },
  { code: "MTL3004", trigger: edit([["buckets: 100", "buckets: «0»"]]), nearMiss: edit([["buckets: 100", "buckets: 1"]]) },
  { code: "MTL3004", trigger: edit([["mlp(x, [16])", "mlp(x, [16], dropout: «1»)"]]), nearMiss: edit([["mlp(x, [16])", "mlp(x, [16], dropout: 0.99)"]]) },
  { code: "MTL3004", trigger: edit([["mlp(x, [16])", "mlp(x, [16], dropout: «-0.1»)"]]), nearMiss: edit([["mlp(x, [16])", "mlp(x, [16], dropout: 0)"]]) },
  { code: "MTL3004", trigger: edit([], "train { optimizer: adam(lr: «0») }\n"), nearMiss: edit([], "train { optimizer: adam(lr: 1e-9) }\n") },
  { code: "MTL3004", trigger: edit([], "train { batch: «0» }\n"), nearMiss: edit([], "train { batch: 1 }\n") },
  { code: "MTL3004", trigger: edit([["e[2]", "e[«0»]"]]), nearMiss: edit([["e[2]", "e[1]"]]) },
  { code: "MTL3004", trigger: edit([], "feature f[«0»] : numeric()\n"), nearMiss: edit([], "feature f[1] : numeric()\n"), says: "The feature count must be at least 1 and at most 1024, but is 0" },
  { code: "MTL3004", trigger: edit([], "feature f[«2000»] : numeric()\n"), nearMiss: edit([], "feature f[1024] : numeric()\n"), says: "but is 2000" },
  { code: "MTL3005", trigger: edit([], "feature f[«1.5»] : numeric()\n"), nearMiss: edit([], "feature f[2.0] : numeric()\n"), says: "The feature count must be an integer" },
  { code: "MTL3004", trigger: edit([["mlp(x, [16])", "mlp(x, [16, «0»])"]]), nearMiss: edit([["mlp(x, [16])", "mlp(x, [16, 1])"]]) },
  { code: "MTL3004", trigger: edit([["task ctr : binary = t1 label click", "task ctr : binary = t1 label click weight «-1»"]]), nearMiss: edit([["task ctr : binary = t1 label click", "task ctr : binary = t1 label click weight 0"]]) },
  { code: "MTL3004", trigger: edit([["categorical(buckets: 100, dim: 8)", 'categorical(vocab: ["a", «"a"»], dim: 8)']]), nearMiss: edit([["categorical(buckets: 100, dim: 8)", 'categorical(vocab: ["a", "A"], dim: 8)']]) },
  { code: "MTL3005", trigger: edit([["dim: 8", 'dim: «"8"»']]), nearMiss: VALID },
  { code: "MTL3005", trigger: edit([["dim: 8", "dim: «8.5»"]]), nearMiss: edit([["dim: 8", "dim: 8.0"]]), says: "must be an integer" },
  { code: "MTL3005", trigger: edit([["mlp(x, [16])", "mlp(x, «16»)"]]), nearMiss: VALID },
  { code: "MTL3005", trigger: edit([["mlp(x, [16])", "mlp(x, [16], batchnorm: «yes»)"]]), nearMiss: edit([["mlp(x, [16])", "mlp(x, [16], batchnorm: true)"]]) },
  { code: "MTL3006", trigger: edit([["dim: 8", "dim: 8, «dim»: 4"]]), nearMiss: VALID, says: "The option 'dim' is given more than once" },
  { code: "MTL3006", trigger: edit([["label click\n", "label click «label clicked»\n"]]), nearMiss: VALID, says: "The clause 'label' is given more than once" },
  { code: "MTL3007", trigger: edit([["dim: 8", 'dim: 8, «vocab»: ["a"]']]), nearMiss: VALID },
  { code: "MTL3008", trigger: edit([["mlp(x, [16])", "«mlp(x)»"]]), nearMiss: VALID },
  { code: "MTL3008", trigger: edit([["softmax(x) over e\ngate g2", "softmax(x, «x») over e\ngate g2"]]), nearMiss: VALID },
  { code: "MTL3009", trigger: edit([["mlp(x, [16])", "mlp(x, [16], activation: «relux»)"]]), nearMiss: edit([["mlp(x, [16])", "mlp(x, [16], activation: relu)"]]), says: "Did you mean 'relu'?" },
  { code: "MTL3009", trigger: edit([["task ctr : binary", "task ctr : «binery»"]]), nearMiss: VALID, says: "Did you mean 'binary'?" },
  { code: "MTL3009", trigger: edit([["gate g1 = softmax(x)", "gate g1 = softmax(x, init: «glorot_unifrom»)"]]), nearMiss: edit([["gate g1 = softmax(x)", "gate g1 = softmax(x, init: glorot_uniform)"]]), says: "Did you mean 'glorot_uniform'?" },
  { code: "MTL3010", trigger: edit([["categorical(buckets: 100, dim: 8)", "«categorical(dim: 8)»"]]), nearMiss: VALID },
  {
    code: "MTL3035",
    trigger: edit([["tower t1 = mlp(g1, [8])", "tower t1 = mlp(x, [8])"]], "train { weighting: «gradnorm(alpha: 1)» }\n"),
    nearMiss: edit([], "train { weighting: gradnorm(alpha: 1) }\n"),
    says: "'ctr' and 'cvr' share none",
  },
  { code: "MTL3001", trigger: edit([], "train { weighting: «gradnrom» }\n"), nearMiss: edit([], "train { weighting: gradnorm }\n"), says: "Did you mean 'gradnorm'?" },
  { code: "MTL3036", trigger: edit([["task cvr : binary = t2 label purchase where click\n", ""]], "train { weighting: «dwa» }\n"), nearMiss: edit([], "train { weighting: dwa }\n") },

  { code: "MTL4001", trigger: edit([["tower t1 = mlp(g1, [8])", "tower «t1» = mlp(t2, [8])"], ["tower t2 = mlp(g2, [8])", "tower t2 = mlp(t1, [8])"]]), nearMiss: edit([["tower t1 = mlp(g1, [8])", "tower t1 = mlp(t2, [8])"]]), says: "t1 -> t2 -> t1" },
  { code: "MTL4001", trigger: edit([["tower t1 = mlp(g1, [8])", "tower «t1» = mlp(t1, [8])"]]), nearMiss: VALID },
  { code: "MTL4001", trigger: edit([], "task «a» : binary = b * ctr label click\ntask b : binary = a * ctr label click\n"), nearMiss: edit([], "task a : binary = cvr * ctr label click\n") },
  { code: "MTL4002", trigger: edit([["gate g1 = softmax(x) over e", "expert f[2] = mlp(x, [8])\ngate g1 = softmax(x) over e, «f»"]]), nearMiss: edit([["gate g1 = softmax(x) over e", "expert f[2] = mlp(x, [32, 16])\ngate g1 = softmax(x) over e, f"]]), says: "'f' outputs 8 but 'e' outputs 16" },
  { code: "MTL4003", trigger: edit([["gate g1 = softmax(x) over e", "expert solo = mlp(x, [16])\ngate «g1» = softmax(x) over solo"]]), nearMiss: edit([["gate g1 = softmax(x) over e", "expert solo[2] = mlp(x, [16])\ngate g1 = softmax(x) over solo"]]) },
  { code: "MTL4004", trigger: edit([["mlp(g1, [8])", "mlp(«e», [8])"]]), nearMiss: edit([["mlp(g1, [8])", "mlp(bottom, [8])"]], "expert bottom = mlp(x, [8])\n") },
  { code: "MTL4005", trigger: edit([["concat(*)", "«concat()»"]]), nearMiss: VALID },
  { code: "MTL4006", trigger: edit([["gate g1 = softmax(x) over e", "gate g1 = softmax(x) over e, «e»"]]), nearMiss: VALID },
  { code: "MTL4007", trigger: edit([["concat(*)", "concat(user_id, price, «user_id»)"]]), nearMiss: edit([["concat(*)", "concat(user_id, price)"]]) },
  { code: "MTL4007", trigger: edit([["concat(*)", "concat(*, «price»)"]]), nearMiss: VALID },
  { code: "MTL4007", trigger: edit([["concat(*)", "concat(user_id, price, c, «c2»)"]], "feature c[3] : numeric()\n"), nearMiss: edit([["concat(*)", "concat(user_id, price, c)"]], "feature c[3] : numeric()\n"), says: "'c2' is concatenated more than once" },
  { code: "MTL4007", trigger: edit([["concat(*)", "concat(user_id, price, c2, «c»)"]], "feature c[3] : numeric()\n"), nearMiss: edit([["concat(*)", "concat(user_id, price, c2)"]], "feature c[3] : numeric()\n"), says: "'c2' is concatenated more than once" },
  { code: "MTL4008", trigger: edit([], "feature c[2] : categorical(buckets: 10, dim: 4)\nfeature hist : sequence(of: «c», max_len: 5)\n"), nearMiss: edit([], "feature c[2] : categorical(buckets: 10, dim: 4)\nfeature hist : sequence(of: c2, max_len: 5)\n"), says: "'c' is a group of 2 features (c1, c2)" },
  { code: "MTL4008", trigger: edit([["mlp(g1, [8])", "mlp(«c», [8])"]], "feature c[3] : numeric()\n"), nearMiss: edit([["mlp(g1, [8])", "mlp(c3, [8])"]], "feature c[3] : numeric()\n"), says: "Name one member, like 'c1'" },

  { code: "MTL5001", trigger: edit([], REGRESSION_TASKS + "task p : regression = «r1 * r2» label amount\n"), nearMiss: edit([], REGRESSION_TASKS + "task p : regression = ctr * r2 label amount\n") },
  { code: "MTL5002", trigger: edit([["label purchase where click", ""], ["task cvr", "task «cvr»"]]), nearMiss: edit([["label purchase where click", ""]], "task ctcvr : binary = ctr * cvr label purchase\n") },
  { code: "MTL5003", trigger: edit([["label click\n", "label «price»\n"], ["where click", "where price"]]), nearMiss: VALID, says: "feature 'price'" },
  { code: "MTL5003", trigger: edit([["numeric()", 'numeric(column: "clicks")'], ["label click\n", "label «clicks»\n"], ["where click", "where clicks"]]), nearMiss: edit([["numeric()", 'numeric(column: "clicks2")']]) },
  { code: "MTL5003", trigger: edit([["feature price : numeric()", "feature price[3] : numeric()"], ["label click\n", "label «price2»\n"], ["where click", "where price2"]]), nearMiss: edit([["feature price : numeric()", "feature price[3] : numeric()"], ["label click\n", "label price4\n"], ["where click", "where price4"]]), says: "feature 'price2'" },
  { code: "MTL5003", trigger: edit([["feature price : numeric()", "feature price[3] : numeric(column: raw)"], ["label click\n", "label «raw3»\n"], ["where click", "where raw3"]]), nearMiss: edit([["feature price : numeric()", "feature price[3] : numeric(column: raw)"], ["label click\n", "label price3\n"], ["where click", "where price3"]]), says: "feature 'price3'" },
  { code: "MTL5005", trigger: edit([], 'tower t3 = mlp(g2, [8])\ntask r : regression = t3 label amount is «"big"»\n'), nearMiss: edit([["label click", 'label click is "yes"']]) },
  { code: "MTL5005", trigger: edit([], 'tower t3 = mlp(g2, [8])\ntask r : regression = t3 label amount is «"big" | "huge"»\n'), nearMiss: edit([["label click", 'label click is "yes" | "y"']]) },
  { code: "MTL5006", trigger: "model «m»\nfeature a : numeric()\n", nearMiss: VALID },
  { code: "MTL5007", trigger: edit([["label click\n", "label click loss «huber(delta: 1)»\n"]]), nearMiss: edit([], "tower t3 = mlp(g2, [8])\ntask r : regression = t3 label amount loss huber(delta: 1)\n") },
  { code: "MTL5008", trigger: edit([], "task p : binary = ctr * «ctr» label purchase\n"), nearMiss: edit([], "task p : binary = ctr * cvr label purchase\n") },
  { code: "MTL5009", trigger: edit([], REGRESSION_TASKS + "task p : «binary» = ctr * r1 label amount\n"), nearMiss: edit([], REGRESSION_TASKS + "task p : regression = ctr * r1 label amount\n") },
  { code: "MTL5010", trigger: edit([], "task p : «regression» = ctr * cvr label purchase\n"), nearMiss: edit([], "task p : binary = ctr * cvr label purchase\n") },
  { code: "MTL5011", trigger: edit([["where click", "where «purchase»"]]), nearMiss: VALID },
  { code: "MTL5012", trigger: edit([["where click", "where «amount»"]], REGRESSION_TASKS), nearMiss: edit([["where click", 'where amount is "0"']], REGRESSION_TASKS), says: "regression task 'r1'" },
  { code: "MTL5013", trigger: edit([["label purchase", 'label purchase is "y" | "yes" | «"y"»']]), nearMiss: edit([["label purchase", 'label purchase is "y" | "yes" | "Y"']]) },
  { code: "MTL5013", trigger: edit([["where click", 'where click is 1 | «1»']]), nearMiss: edit([["where click", 'where click is 1 | "true"']]) },
  { code: "MTL5020", trigger: edit([], REGRESSION_TASKS + "task p : binary = t2 label bought after «r1»\n"), nearMiss: edit([], REGRESSION_TASKS + "task p : binary = t2 label bought after ctr\n"), says: "'r1' is a regression task" },
  { code: "MTL5020", trigger: edit([], "tower t3 = mlp(g2, [8])\ntask r : «regression» = t3 label amount after ctr\n"), nearMiss: edit([], "tower t3 = mlp(g2, [8])\ntask r : binary = t3 label amount after ctr\n") },
  { code: "MTL5021", trigger: edit([], "task p : binary = ctr * cvr label bought\ntask q : binary = t2 label q after «p»\n"), nearMiss: edit([], "task p : binary = ctr * cvr label bought\ntask q : binary = t2 label q after cvr\n"), says: "'p' is a product of tasks" },
  { code: "MTL5021", trigger: edit([], "task «p» : binary = ctr * cvr label bought after ctr\n"), nearMiss: edit([], "task p : binary = ctr * cvr label bought\n") },
  { code: "MTL5022", trigger: edit([["label click\n", "label click after «cvr»\n"], ["where click", "where click after ctr"]]), nearMiss: edit([["where click", "where click after ctr"]]), says: "(ctr after cvr after ctr)" },
  { code: "MTL5022", trigger: edit([["label click\n", "label click after «ctr»\n"]]), nearMiss: VALID, says: "(ctr after ctr)" },
  { code: "MTL5023", trigger: edit([["where click", "where click calibrate «0.6»"]]), nearMiss: edit([["where click", "where click after ctr calibrate 0.6"]]), says: "task 'cvr'" },
  { code: "MTL5024", trigger: edit([["where click", "where click after ctr calibrate «0.6»"]]), nearMiss: edit([["label purchase where click", "label purchase after ctr calibrate 0.6"]]), says: "trained only 'where click'" },
  { code: "MTL3004", trigger: edit([["where click", "where click after ctr calibrate «-1»"]]), nearMiss: edit([["where click", "where click after ctr calibrate 0"]]), says: "A calibrator weight must be at least 0" },
  { code: "MTL3006", trigger: edit([["where click", "where click after ctr «after ctr»"]]), nearMiss: edit([["where click", "where click after ctr"]]) },
  // ESCM²'s `debias` (src/validation/debias.ts).
  { code: "MTL5042", trigger: edit([["where click", "where click sample_weight w debias «ips(ctr)»"]]), nearMiss: edit([["where click", "where click debias ips(ctr)"]]), says: "column 'w' (its 'sample_weight' clause)" },
  { code: "MTL5042", trigger: edit([["where click", "where click debias «ips(ctr)»"]], "train { sample_weight: w }\n"), nearMiss: edit([], "train { sample_weight: w }\n"), says: "train's 'sample_weight'" },
  { code: "MTL5030", trigger: edit([["label purchase where click", "label purchase debias «ips(ctr)»"]]), nearMiss: edit([["where click", "where click debias ips(ctr)"]]) },
  { code: "MTL5031", trigger: edit([], "tower t3 = mlp(g2, [8])\ntask r : regression = t3 label amount where click debias «ips(ctr)»\n"), nearMiss: edit([["where click", "where click debias ips(ctr)"]]) },
  { code: "MTL5032", trigger: edit([["where click", "where click debias ips(«r1»)"]], REGRESSION_TASKS), nearMiss: edit([["where click", "where click debias ips(ctr)"]], REGRESSION_TASKS), says: "Name the CTR task" },
  { code: "MTL5033", trigger: edit([["where click", "where click debias ips(«ctr2»)"]], "task ctr2 : binary = t1 label click2\n"), nearMiss: edit([["where click", "where click debias ips(ctr)"]], "task ctr2 : binary = t1 label click2\n"), says: "Name 'ctr', which labels it" },
  { code: "MTL5033", trigger: edit([["where click", "where clicked debias ips(«ctr»)"]]), nearMiss: edit([["where click", "where click debias ips(ctr)"]]), says: "Add a binary task that labels it" },
  { code: "MTL5034", trigger: edit([["label click\n", "label click where seen\n"], ["where click", "where click debias ips(«ctr»)"]]), nearMiss: edit([["where click", "where click debias ips(ctr)"]]) },
  { code: "MTL5035", trigger: edit([["where click", "where click debias dr(ctr, imputation: «ctr»)"]]), nearMiss: edit([["where click", "where click debias dr(ctr, imputation: imp)"]], "tower t3 = mlp(g2, [8])\ntask imp : regression = t3\n") },
  { code: "MTL5035", trigger: edit([["where click", "where click debias dr(ctr, imputation: «imp»)"]], "tower t3 = mlp(g2, [8])\ntask imp : regression = t3\ntask p : regression = ctr * imp label amount\n"), nearMiss: edit([["where click", "where click debias dr(ctr, imputation: imp)"]], "tower t3 = mlp(g2, [8])\ntask imp : regression = t3\n") },
  {
    code: "MTL5036",
    trigger: edit([["where click", "where click debias dr(ctr, imputation: imp)"]], "tower t3 = mlp(g2, [8])\ntask imp : regression = t3\ntask cvr2 : binary = t1 label buy2 where click debias dr(ctr, imputation: «imp»)\n"),
    nearMiss: edit([["where click", "where click debias dr(ctr, imputation: imp)"]], "tower t3 = mlp(g2, [8])\ntask imp : regression = t3\ntask imp2 : regression = t3\ntask cvr2 : binary = t1 label buy2 where click debias dr(ctr, imputation: imp2)\n"),
    says: "imputation of task 'cvr'",
  },
  { code: "MTL3008", trigger: edit([["where click", "where click debias «ips»"]]), nearMiss: edit([["where click", "where click debias ips(ctr)"]]), says: "debias ips(ctr)" },
  { code: "MTL3003", trigger: edit([["where click", "where click debias «dr(ctr)»"]]), nearMiss: edit([["where click", "where click debias dr(ctr, imputation: imp)"]], "tower t3 = mlp(g2, [8])\ntask imp : regression = t3\n"), says: "imputation" },
  { code: "MTL3004", trigger: edit([["where click", "where click debias ips(ctr, clip: «0»)"]]), nearMiss: edit([["where click", "where click debias ips(ctr, clip: 1)"]]) },
  { code: "MTL2001", trigger: edit([["where click", "where click debias ips(«ctrr»)"]]), nearMiss: edit([["where click", "where click debias ips(ctr)"]]), says: "Did you mean 'ctr'?" },
  { code: "MTL3001", trigger: edit([["where click", "where click debias «ipw»(ctr)"]]), nearMiss: edit([["where click", "where click debias ips(ctr)"]]), says: "Did you mean 'ips'?" },
  // An imputation task has no label, and its DR loss is what trains it.
  { code: "MTL5002", trigger: edit([["where click", "where click debias ips(ctr)"]], "tower t3 = mlp(g2, [8])\ntask «imp» : regression = t3\n"), nearMiss: edit([["where click", "where click debias dr(ctr, imputation: imp)"]], "tower t3 = mlp(g2, [8])\ntask imp : regression = t3\n") },

  { code: "MTL3005", trigger: edit([["mlp(x, [16])", 'mlp(x, [«"a"»])']]), nearMiss: VALID, says: "An item of the layers of 'mlp' must be an integer" },

  { code: "MTL6001", trigger: edit([["feature price", "feature «price»"]], "data { columns: [user_id, click, purchase] }\n"), nearMiss: edit([], "data { columns: [user_id, price, click, purchase] }\n") },
  { code: "MTL6001", trigger: edit([["label purchase", "label «purchse»"]], "data { columns: [user_id, price, click, purchase] }\n"), nearMiss: edit([], "data { columns: [user_id, price, click, purchase] }\n"), says: "Did you mean 'purchase'?" },
  { code: "MTL6001", trigger: edit([], "feature «p»[2] : numeric()\ndata { columns: [user_id, price, click, purchase, p1] }\n"), nearMiss: edit([], "feature p[2] : numeric()\ndata { columns: [user_id, price, click, purchase, p1, p2] }\n"), says: "Column 'p2'" },
  { code: "MTL6001", trigger: edit([], "feature p[2] : numeric(column: «raw»)\ndata { columns: [user_id, price, click, purchase, raw1] }\n"), nearMiss: edit([], "feature p[2] : numeric(column: raw)\ndata { columns: [user_id, price, click, purchase, raw1, raw2] }\n"), says: "Column 'raw2'" },
  { code: "MTL6002", trigger: edit([], "data { columns: [user_id, price, click, purchase, «click»] }\n"), nearMiss: edit([], "data { columns: [user_id, price, click, purchase] }\n") },
  { code: "MTL6003", trigger: edit([], "«data» { format: csv(header: false) }\n"), nearMiss: edit([], "data { format: csv(header: false)  columns: [user_id, price, click, purchase] }\n") },
  { code: "MTL6004", trigger: edit([], "data { format: jsonl  «columns»: [user_id] }\n"), nearMiss: edit([], "data { format: jsonl }\n") },

  // Shared embedding tables: `categorical(shares: F)`.
  { code: "MTL3030", trigger: edit([["buckets: 100, dim: 8)", "buckets: 100, dim: 8, shares: «user_id»)"]]), nearMiss: edit([], "feature last_user : categorical(buckets: 100, dim: 8, shares: user_id)\n") },
  { code: "MTL3030", trigger: edit([], "feature u[2] : categorical(buckets: 100, dim: 8, shares: «u1»)\n"), nearMiss: edit([], "feature u[2] : categorical(buckets: 100, dim: 8, shares: user_id)\n") },
  {
    code: "MTL3031",
    trigger: edit([], "feature a : categorical(buckets: 100, dim: 8, shares: user_id)\nfeature b : categorical(buckets: 100, dim: 8, shares: «a»)\n"),
    nearMiss: edit([], "feature a : categorical(buckets: 100, dim: 8, shares: user_id)\nfeature b : categorical(buckets: 100, dim: 8, shares: user_id)\n"),
    says: "Share that table directly: 'shares: user_id'",
  },
  { code: "MTL3032", trigger: edit([], "feature a : categorical(buckets: 99, dim: 8, shares: «user_id»)\n"), nearMiss: edit([], "feature a : categorical(buckets: 100, dim: 8, shares: user_id)\n"), says: "write 'buckets: 100'" },
  { code: "MTL3032", trigger: edit([], "feature a : categorical(buckets: 100, dim: 4, shares: «user_id»)\n"), nearMiss: edit([], "feature a : categorical(buckets: 100, dim: 8, shares: user_id)\n"), says: "write 'dim: 8'" },
  {
    code: "MTL3032",
    trigger: edit([], 'feature c : categorical(vocab: ["a", "b"], dim: 2)\nfeature d : categorical(vocab: ["b", "a"], dim: 2, shares: «c»)\n'),
    nearMiss: edit([], 'feature c : categorical(vocab: ["a", "b"], dim: 2)\nfeature d : categorical(vocab: ["a", "b"], dim: 2, shares: c)\n'),
    says: `write 'vocab: ["a", "b"]'`,
  },
  { code: "MTL2003", trigger: edit([], "feature a : categorical(buckets: 100, dim: 8, shares: «price»)\n"), nearMiss: edit([], "feature a : categorical(buckets: 100, dim: 8, shares: user_id)\n"), says: "'price' is a numeric feature" },

  // Sample weights: `train { sample_weight: C }` and the task clause `sample_weight C`.
  {
    code: "MTL5040",
    trigger: edit([["task cvr : binary = t2 label purchase where click", "task cvr : binary = t2 sample_weight «w»"]], "task ctcvr : binary = ctr * cvr label purchase\n"),
    nearMiss: edit([["task cvr : binary = t2 label purchase where click", "task cvr : binary = t2"]], "task ctcvr : binary = ctr * cvr label purchase sample_weight w\n"),
  },
  { code: "MTL5041", trigger: edit([["where click", "where click sample_weight «purchase»"]]), nearMiss: edit([["where click", "where click sample_weight w"]]), says: "dropping every negative" },
  { code: "MTL5041", trigger: edit([["where click", "where click sample_weight «click»"]]), nearMiss: edit([["where click", "where click sample_weight click_weight"]]) },
  { code: "MTL5043", trigger: edit([["where click", "where click sample_weight «price»"]]), nearMiss: edit([["where click", "where click sample_weight w"]]), says: "feature 'price'" },
  { code: "MTL5043", trigger: edit([["numeric()", "numeric(column: raw_w)"]], "train { sample_weight: «raw_w» }\n"), nearMiss: edit([["numeric()", "numeric(column: raw_w)"]], "train { sample_weight: w }\n"), says: "see its own loss weight" },
  { code: "MTL5043", trigger: edit([["feature price : numeric()", "feature price[3] : numeric()"], ["where click", "where click sample_weight «price2»"]]), nearMiss: edit([["feature price : numeric()", "feature price[3] : numeric()"], ["where click", "where click sample_weight price4"]]), says: "feature 'price2'" },
  // train's column is no one's weight when every labelled task names its own.
  {
    code: "MTL5043",
    trigger: edit([["where click", "where click sample_weight w"]], "train { sample_weight: «price» }\n"),
    nearMiss: edit([["label click\n", "label click sample_weight w\n"], ["where click", "where click sample_weight w"]], "train { sample_weight: price }\n"),
  },
  { code: "MTL6001", trigger: edit([["where click", "where click sample_weight «wieght»"]], "data { columns: [user_id, price, click, purchase, weight] }\n"), nearMiss: edit([["where click", "where click sample_weight weight"]], "data { columns: [user_id, price, click, purchase, weight] }\n"), says: "Did you mean 'weight'?" },
  { code: "MTL6001", trigger: edit([], "train { sample_weight: «w» }\ndata { columns: [user_id, price, click, purchase] }\n"), nearMiss: edit([], "train { sample_weight: w }\ndata { columns: [user_id, price, click, purchase, w] }\n") },
];

test("the base spec is clean", () => {
  assert.deepEqual(compileSource(VALID, "base.mtl").diagnostics, []);
});

for (const [i, c] of CASES.entries()) {
  test(`${c.code} #${i}: reported at the exact range`, () => {
    const { text, start, end } = unmark(c.trigger);
    const diagnostics = compileSource(text, "t.mtl").diagnostics;
    const hits = diagnostics.filter((d) => d.code === c.code);
    assert.ok(hits.length > 0, `expected ${c.code}; got ${diagnostics.map((d) => `${d.code} ${d.message}`).join(" | ") || "nothing"}`);
    if (start !== undefined) {
      const expected = text.slice(start, end);
      assert.ok(
        hits.some((d) => d.range.start.offset === start && d.range.end.offset === end),
        `expected ${c.code} on '${expected}', got it on ${hits.map((d) => `'${rangeText(text, d)}'`).join(", ")}`,
      );
    }
    for (const d of hits) assert.equal(d.severity, CATALOG[c.code].severity);
    if (c.says) assert.ok(hits.some((d) => d.message.includes(c.says!)), `message should say "${c.says}": ${hits.map((d) => d.message).join(" | ")}`);
  });
  test(`${c.code} #${i}: not reported for a near miss`, () => {
    const diagnostics = compileSource(c.nearMiss, "n.mtl").diagnostics;
    assert.deepEqual(diagnostics.filter((d) => d.code === c.code), []);
  });
}

test("every catalog code has a test case", () => {
  // MTL7xxx are about a trained model on data, not a spec: test/inspect/gates.test.ts tests them.
  const covered = new Set<string>([...CASES.map((c) => c.code), "MTL1004", "MTL1005", "MTL7001", "MTL7002"]);
  const missing = Object.keys(CATALOG).filter((code) => !covered.has(code));
  assert.deepEqual(missing, [], `codes without a rule test: ${missing.join(", ")}`);
});

test("near misses of the clean spec report no errors at all", () => {
  for (const c of CASES) {
    const errors = compileSource(c.nearMiss, "n.mtl").diagnostics.filter((d) => d.severity === "error");
    assert.deepEqual(errors.map((d) => `${d.code}: ${d.message}`), [], `near miss of ${c.code} should be error-free:\n${c.nearMiss}`);
  }
});

test("'where' may name any column of the data, not only a task's label", () => {
  for (const where of ["where clicked", 'where "was clicked"', 'where stage is "clicked"', 'where stage is "clicked" | "bought"']) {
    const text = edit([["where click", where]]);
    assert.deepEqual(compileSource(text, "w.mtl").diagnostics, [], where);
  }
});

test("all problems are reported in one pass", () => {
  const text = edit([
    ["dim: 8", "dim: 0"],
    ["mlp(g1, [8])", "mlp(gl, [8])"],
    ["task ctr : binary", "task ctr : binery"],
    ["where click", "where purchase"],
  ]);
  const codes = compileSource(text, "t.mtl").diagnostics.map((d) => d.code);
  for (const code of ["MTL3004", "MTL2001", "MTL3009", "MTL5011"]) assert.ok(codes.includes(code as DiagnosticCode), `missing ${code} in ${codes.join(", ")}`);
});
