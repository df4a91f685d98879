/**
 * Checks the layer graph of a model.json before TensorFlow.js builds it.
 * tf.loadLayersModel builds a functional model by looping until every
 * layer's inbound nodes exist: a node that names a missing layer (one
 * changed character in a layer's name) or a cycle made that loop run
 * forever, so `mtl predict` hung instead of refusing the file.
 */

interface LayerConfig {
  name?: unknown;
  inbound_nodes?: unknown;
  config?: { dtype?: unknown } | null;
}

/** TensorFlow.js builds a layer with any dtype string, and only a prediction fails on one it does not know. */
const DTYPES = new Set(["float32", "int32", "bool", "complex64", "string"]);

/** Why the topology cannot be built, or null when every reference resolves and the graph has no cycle. */
export function topologyProblem(topology: unknown): string | null {
  const config = (topology as { config?: { layers?: unknown; input_layers?: unknown; output_layers?: unknown } } | null)?.config;
  // Sequential models and other shapes are left to TensorFlow.js: they are not built by the looping code.
  if (!config || !Array.isArray(config.layers)) return null;
  const nodes = new Map<string, number>();
  for (const layer of config.layers as LayerConfig[]) {
    if (typeof layer?.name !== "string") return "a layer has no name";
    if (nodes.has(layer.name)) return `two layers are named '${layer.name}'`;
    const dtype = layer.config?.dtype;
    if (dtype !== undefined && dtype !== null && !DTYPES.has(dtype as string)) return `layer '${layer.name}' has the data type ${JSON.stringify(dtype)}`;
    const inbound = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes.length : 0;
    nodes.set(layer.name, Math.max(1, inbound));
  }
  // Node "layer#k" depends on the nodes its inbound entries name.
  const edges = new Map<string, string[]>();
  const ref = (entry: unknown): string | null => {
    if (!Array.isArray(entry) || typeof entry[0] !== "string") return null;
    const [name, node = 0] = entry as [string, unknown];
    const count = nodes.get(name);
    if (count === undefined) return `it refers to a layer '${name}' that does not exist`;
    if (typeof node !== "number" || !Number.isInteger(node) || node < 0 || node >= count) return `it refers to node ${String(node)} of layer '${name}', which has ${count}`;
    return null;
  };
  for (const layer of config.layers as LayerConfig[]) {
    const inbound = Array.isArray(layer.inbound_nodes) ? (layer.inbound_nodes as unknown[]) : [];
    for (const [k, node] of inbound.entries()) {
      const deps: string[] = [];
      for (const entry of Array.isArray(node) ? (node as unknown[]) : []) {
        const problem = ref(entry);
        if (problem !== null) return `layer '${String(layer.name)}': ${problem}`;
        if (Array.isArray(entry)) deps.push(`${String(entry[0])}#${Number(entry[1] ?? 0)}`);
      }
      edges.set(`${String(layer.name)}#${k}`, deps);
    }
  }
  for (const key of ["input_layers", "output_layers"] as const) {
    const list = config[key];
    for (const entry of Array.isArray(list) ? (list as unknown[]) : []) {
      const problem = ref(entry);
      if (problem !== null) return `${key}: ${problem}`;
    }
  }
  const cycle = findCycle(edges);
  return cycle === null ? null : `its layers feed each other in a cycle (through '${cycle.split("#")[0]}')`;
}

/** A node on a cycle, or null; iterative, so a long chain cannot overflow the stack. */
function findCycle(edges: Map<string, string[]>): string | null {
  const state = new Map<string, 1 | 2>(); // 1: on the current path, 2: done
  for (const start of edges.keys()) {
    if (state.has(start)) continue;
    const stack: [string, number][] = [[start, 0]];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const deps = edges.get(top[0]) ?? [];
      if (top[1] < deps.length) {
        const next = deps[top[1]++]!;
        const seen = state.get(next);
        if (seen === 1) return next;
        if (seen === undefined) {
          state.set(next, 1);
          stack.push([next, 0]);
        }
      } else {
        state.set(top[0], 2);
        stack.pop();
      }
    }
  }
  return null;
}
