import { instance, type Viz } from "@viz-js/viz";
import type { ModelIR } from "../../ir/types.js";
import { FONT, renderDot } from "./dot.js";

let viz: Promise<Viz> | undefined;

/** One WebAssembly Graphviz per process, loaded on first use. */
function graphviz(): Promise<Viz> {
  viz ??= instance().catch((error: unknown) => {
    viz = undefined;
    throw error;
  });
  return viz;
}

/** Lays a DOT graph out with Graphviz's `dot` engine and returns the SVG; throws on a Graphviz error. */
export async function dotToSvg(dot: string): Promise<string> {
  const svg = (await graphviz()).renderString(dot, { format: "svg", engine: "dot" });
  return svg.replaceAll(`font-family="${FONT}"`, `font-family="${FALLBACKS}"`);
}

/** The graph's font first, then look-alikes no wider than it, then any sans-serif (never the default serif). */
const FALLBACKS = `${FONT},Verdana,Helvetica,Arial,sans-serif`;

/** The model's architecture as a standalone SVG document (deterministic: same IR, same bytes). */
export async function renderSvg(ir: ModelIR): Promise<string> {
  return dotToSvg(renderDot(ir));
}
