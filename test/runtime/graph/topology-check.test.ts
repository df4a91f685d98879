import assert from "node:assert/strict";
import { test } from "node:test";
import { topologyProblem } from "../../../src/runtime/graph/topology-check.js";

/** A small functional model.json topology: input -> dense -> out, as TensorFlow.js saves it. */
function topology(edit?: (layers: { name: string; inbound_nodes: unknown[] }[], config: Record<string, unknown>) => void): unknown {
  const layers = [
    { name: "x", class_name: "InputLayer", inbound_nodes: [] },
    { name: "dense", class_name: "Dense", inbound_nodes: [[["x", 0, 0, {}]]] },
    { name: "out", class_name: "Dense", inbound_nodes: [[["dense", 0, 0, {}]]] },
  ];
  const config: Record<string, unknown> = { name: "m", layers, input_layers: [["x", 0, 0]], output_layers: [["out", 0, 0]] };
  edit?.(layers, config);
  return { class_name: "Model", config };
}

test("a well-formed layer graph passes; other shapes are left to TensorFlow.js", () => {
  assert.equal(topologyProblem(topology()), null);
  assert.equal(topologyProblem({ class_name: "Sequential", config: { name: "s" } }), null);
});

test("the graphs TensorFlow.js would loop on forever are named", () => {
  // One changed character in a layer's name (what the model-folder fuzz found: mtl eval hung).
  assert.equal(
    topologyProblem(topology((layers) => (layers[1]!.name = "dens^"))),
    "layer 'out': it refers to a layer 'dense' that does not exist",
  );
  assert.match(topologyProblem(topology((layers) => (layers[2]!.inbound_nodes = [[["dense", 3, 0, {}]]])))!, /node 3 of layer 'dense', which has 1/);
  assert.match(topologyProblem(topology((layers) => (layers[1]!.inbound_nodes = [[["out", 0, 0, {}]]])))!, /cycle/);
  assert.match(topologyProblem(topology((_, config) => (config["output_layers"] = [["gone", 0, 0]])))!, /output_layers: it refers to a layer 'gone'/);
  assert.match(topologyProblem(topology((layers) => (layers[2]!.name = "dense")))!, /two layers are named 'dense'/);
});

test("a data type TensorFlow.js does not know is named (it built the model, and only scoring failed, with its internals)", () => {
  assert.equal(
    topologyProblem(topology((layers) => Object.assign(layers[0]!, { config: { dtype: "\u007float32" } }))),
    `layer 'x' has the data type "\u007float32"`,
  );
  assert.equal(topologyProblem(topology((layers) => Object.assign(layers[0]!, { config: { dtype: "int32" } }))), null);
});
