import { instance, type Viz } from "@viz-js/viz";
import type { ValidIR } from "../../ir/types.js";
import { describeThrown } from "../../util/describe-thrown.js";
import { FONT, renderDot } from "./dot.js";
import { grouped } from "./escape.js";
import { GraphTooLargeError } from "../../errors.js";
import { layoutSize, MAX_LAYOUT_NODES } from "./layout-size.js";

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
  let svg: string;
  try {
    svg = (await graphviz()).renderString(dot, { format: "svg", engine: "dot" });
  } catch (error) {
    // An abort (out of memory, stack overflow) leaves the WebAssembly instance unusable,
    // and what it throws need not be an Error.
    viz = undefined;
    throw new Error(`Graphviz failed: ${describeThrown(error)}`);
  }
  return svg.replaceAll(`font-family="${FONT}"`, `font-family="${FALLBACKS}"`);
}

/** The graph's font first, then look-alikes no wider than it, then any sans-serif (never the default serif). */
const FALLBACKS = `${FONT},Verdana,Helvetica,Arial,sans-serif`;

/** The model's architecture as a standalone SVG document (deterministic: same IR, same bytes). */
export async function renderSvg(ir: ValidIR): Promise<string> {
  const dot = renderDot(ir);
  const size = layoutSize(dot);
  if (size.nodes + size.spanned > MAX_LAYOUT_NODES) {
    throw new GraphTooLargeError(
      `the picture of model '${ir.model.name}' is too large for the svg target: Graphviz would lay out ${grouped(size.nodes + size.spanned)} nodes ` +
        `(${grouped(size.nodes)} in the graph, ${grouped(size.spanned)} more where edges cross several ranks), and the svg target stops at ${grouped(MAX_LAYOUT_NODES)}, ` +
        `beyond which Graphviz takes minutes or runs out of memory; use '--target dot' and lay it out with a Graphviz of your own`,
    );
  }
  return dotToSvg(dot);
}
