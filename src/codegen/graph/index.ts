/** The graph back end: an IR drawn as a Graphviz picture (`mtl compile --target dot|svg`). */
export { renderDot } from "./dot.js";
export { dotToSvg, renderSvg } from "./svg.js";
