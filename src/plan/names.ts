/**
 * Layer names. Inputs carry feature names and outputs carry task names
 * verbatim (they are the model's public interface); every other layer gets a
 * role prefix so that a weight such as `expert_shared_0_dense_1/kernel` says
 * where it lives.
 */

/** TF.js only accepts weight names matching ^[A-Za-z0-9][-A-Za-z0-9._/]*$. */
function sanitize(part: string): string {
  return part.replace(/[^A-Za-z0-9_.-]/g, "_");
}

export function layerName(...parts: (string | number)[]): string {
  const name = parts.map((p) => sanitize(String(p))).join("_");
  return /^[A-Za-z0-9]/.test(name) ? name : `x${name}`;
}

export const names = {
  embedding: (table: string) => layerName("emb", table),
  categoricalFlat: (feature: string) => layerName("feat", feature, "flat"),
  sequenceIds: (feature: string) => layerName("feat", feature, "ids"),
  sequencePool: (feature: string) => layerName("feat", feature, "pool"),
  concat: (node: string) => layerName("concat", node),
  /** Experts are always indexed (even a group of one); towers never are. */
  mlpPrefix: (role: "expert" | "tower", node: string, index: number) =>
    role === "expert" ? layerName("expert", node, index) : layerName("tower", node),
  /** Dense layer j of an mlp whose layers start with `prefix` (from mlpPrefix). */
  mlpDense: (prefix: string, layer: number) => `${prefix}_dense_${layer}`,
  gate: (node: string) => layerName("gate", node),
  gateRow: (node: string, expert: number) => layerName("gate", node, "expert", expert, "row"),
  gateStack: (node: string) => layerName("gate", node, "stack"),
  gateMix: (node: string) => layerName("gate", node, "mix"),
  taskHead: (task: string) => layerName("task", task, "head"),
  /** AITM's transfer into a task: `transfer`, `from_row`, `own_row`, `stack`, `value`, `query`, `key`, `attention`. */
  aitm: (task: string, part: string) => layerName("aitm", task, part),
};

/** Refuses a second layer with a name already taken, with both uses named. */
export class NameRegistry {
  private readonly owners = new Map<string, string>();

  claim(name: string, owner: string): string {
    const previous = this.owners.get(name);
    if (previous !== undefined) {
      throw new Error(
        `layer name '${name}' is needed both for ${previous} and for ${owner}; rename one of them`,
      );
    }
    this.owners.set(name, owner);
    return name;
  }
}
