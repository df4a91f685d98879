/** A chain of `n` towers, or of `n` product tasks that all multiply one shared task. */
export function chainSpec(kind: "towers" | "products", n: number): string {
  const out = ['model m "chain"', "feature a : numeric()", "input x = concat(*)", "tower t0 = mlp(x, [4])"];
  if (kind === "towers") {
    for (let i = 1; i < n; i++) out.push(`tower t${i} = mlp(t${i - 1}, [4])`);
    out.push(`task k : binary = t${n - 1} label click`);
  } else {
    out.push("task k0 : binary = t0 label c0", "tower t1 = mlp(x, [4])", "task j : binary = t1");
    for (let i = 1; i < n; i++) out.push(`task k${i} : binary = k${i - 1} * j label c${i}`);
  }
  return out.join("\n") + "\n";
}
