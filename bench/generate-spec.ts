/**
 * A large, realistic spec for benchmarks and scale tests: many "verticals"
 * (say, one per product surface), each with its own features, an MMoE/PLE-style
 * block of expert groups and per-task gates, towers, and an ESMM chain with an
 * order-value head. Each vertical also reads the previous vertical's shared
 * gate, so the dependency graph is deep as well as wide.
 *
 * generateLargeSpec(n) returns a spec with exactly max(n, 26) declarations
 * (features, inputs, experts, gates, towers, tasks, plus model, data and
 * train), which checks with no errors and no warnings.
 */

/** Declarations per vertical: 9 features, 1 input, 3 expert groups, 3 gates, 3 towers, 4 tasks. */
const PER_VERTICAL = 23;
/** model, data and train. */
const FIXED = 3;

export function generateLargeSpec(declarations: number): string {
  const verticals = Math.max(1, Math.floor((declarations - FIXED) / PER_VERTICAL));
  const extraFeatures = Math.max(0, declarations - FIXED - verticals * PER_VERTICAL);
  const out: string[] = [];
  const columns: string[] = [];

  out.push(`## Generated: ${verticals} verticals, ${verticals * PER_VERTICAL + extraFeatures + FIXED} declarations.`);
  out.push(`model large_ranker "Multi-vertical MMoE/PLE ranker with ESMM chains (${verticals} verticals)"`);
  out.push("");

  for (let v = 0; v < verticals; v++) {
    const p = `v${v}`;
    const features = [
      `${p}_user_id`,
      `${p}_item_id`,
      `${p}_shop_id`,
      `${p}_category`,
      `${p}_device`,
      `${p}_hist_items`,
      `${p}_price`,
      `${p}_age_days`,
      `${p}_ctr_7d`,
    ];
    const extra = v === 0 ? Array.from({ length: extraFeatures }, (_, i) => `${p}_dense_${i}`) : [];
    out.push(`# ── vertical ${v} ${"─".repeat(60)}`);
    out.push(`## Hashed user ids of vertical ${v}.`);
    out.push(`feature ${p}_user_id    : categorical(buckets: 100_000, dim: 16)`);
    out.push(`feature ${p}_item_id    : categorical(buckets: 50_000, dim: 16)`);
    out.push(`feature ${p}_shop_id    : categorical(buckets: 5_000, dim: 8, column: ${p}_shop)`);
    out.push(`feature ${p}_category   : categorical(buckets: 500, dim: 8)`);
    out.push(`feature ${p}_device     : categorical(vocab: ["ios", "android", "web", "tablet"], dim: 4)`);
    out.push(`feature ${p}_hist_items : sequence(of: ${p}_item_id, max_len: 50, pool: mean)`);
    out.push(`feature ${p}_price      : numeric(transform: log1p, normalize: zscore)`);
    out.push(`feature ${p}_age_days   : numeric(transform: sqrt, normalize: minmax, fill: zero)`);
    out.push(`feature ${p}_ctr_7d     : numeric(normalize: zscore)`);
    for (const name of extra) out.push(`feature ${name} : numeric(normalize: zscore)`);
    columns.push(...features.map((f) => (f === `${p}_shop_id` ? `${p}_shop` : f)), ...extra);
    columns.push(`${p}_click`, `${p}_purchase`, `${p}_amount`);

    const inputs = [...features, ...extra, ...(v > 0 ? [`v${v - 1}_g_shared`] : [])];
    out.push("");
    out.push(`input ${p}_x = concat(${inputs.join(", ")})`);
    out.push("");
    out.push(`expert ${p}_shared[4]  = mlp(${p}_x, [128, 64], activation: relu, dropout: 0.1)`);
    out.push(`expert ${p}_ctr_own[2] = mlp(${p}_x, [96, 64], activation: gelu)`);
    out.push(`expert ${p}_cvr_own[2] = mlp(${p}_x, [96, 64], activation: swish, batchnorm: true)`);
    out.push("");
    out.push(`## Per-task gates over own and shared experts (CGC).`);
    out.push(`gate ${p}_g_ctr    = softmax(${p}_x) over ${p}_ctr_own, ${p}_shared`);
    out.push(`gate ${p}_g_cvr    = softmax(${p}_x) over ${p}_cvr_own, ${p}_shared`);
    out.push(`gate ${p}_g_shared = softmax(${p}_x) over ${p}_ctr_own, ${p}_cvr_own, ${p}_shared`);
    out.push("");
    out.push(`tower ${p}_ctr_tower = mlp(${p}_g_ctr, [32, 16])`);
    out.push(`tower ${p}_cvr_tower = mlp(${p}_g_cvr, [32, 16])`);
    out.push(`tower ${p}_gmv_tower = mlp(${p}_g_shared, [32], activation: elu)`);
    out.push("");
    out.push(`task ${p}_ctr   : binary     = ${p}_ctr_tower label ${p}_click`);
    out.push(`task ${p}_cvr   : binary     = ${p}_cvr_tower`);
    out.push(`task ${p}_ctcvr : binary     = ${p}_ctr * ${p}_cvr label ${p}_purchase weight ${v % 2 === 0 ? "1.0" : "0.5"}`);
    out.push(`task ${p}_gmv   : regression = ${p}_gmv_tower label ${p}_amount where ${p}_purchase loss huber(delta: 2.0)`);
    out.push("");
  }

  out.push("data {");
  out.push("  format: csv(header: false, delimiter: \",\", missing: [\"\", \"NA\"])");
  out.push("  columns: [");
  for (let i = 0; i < columns.length; i += 6) out.push(`    ${columns.slice(i, i + 6).join(", ")},`);
  out.push("  ]");
  out.push("}");
  out.push("");
  out.push("train {");
  out.push("  optimizer: adam(lr: 0.001, beta1: 0.9)");
  out.push("  batch: 2048");
  out.push("  epochs: 3");
  out.push("  weighting: uncertainty");
  out.push("  seed: 1234");
  out.push("  l2: 0.00001");
  out.push("}");
  return out.join("\n") + "\n";
}

/** How many declarations generateLargeSpec(n) produces. */
export function declarationCount(declarations: number): number {
  const verticals = Math.max(1, Math.floor((declarations - FIXED) / PER_VERTICAL));
  return FIXED + verticals * PER_VERTICAL + Math.max(0, declarations - FIXED - verticals * PER_VERTICAL);
}
