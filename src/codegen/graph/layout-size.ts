/**
 * How much work Graphviz's `dot` layout would have: its nodes, plus the
 * virtual node it puts on every rank an edge crosses. Layout time grows much
 * faster than that count (crossing minimisation), and a chain of thousands
 * of nodes overflows its stack; a product chain of 60 tasks, whose shared
 * factor sends an edge across every rank, already takes minutes.
 */
export interface LayoutSize {
  nodes: number;
  /** Virtual nodes on edges that span several ranks. */
  spanned: number;
}

/**
 * The largest layout the svg target attempts: well above any real model
 * (the example specs need under 30), and several seconds of Graphviz.
 */
export const MAX_LAYOUT_NODES = 1000;

const ID = String.raw`"(?:[^"\\]|\\.)*"`;
const NODE = new RegExp(String.raw`^\s*(${ID}) \[`);
const EDGE = new RegExp(String.raw`^\s*(${ID}) -> (${ID})`);

/** Reads the node and edge statements of a DOT graph written by renderDot (one statement a line). */
export function layoutSize(dot: string): LayoutSize {
  const nodes = new Set<string>();
  const edges: [string, string][] = [];
  for (const line of dot.split("\n")) {
    const edge = EDGE.exec(line);
    if (edge) edges.push([edge[1]!, edge[2]!]);
    else {
      const node = NODE.exec(line);
      if (node) nodes.add(node[1]!);
    }
  }
  for (const [from, to] of edges) nodes.add(from).add(to);
  const rank = longestPathRanks(nodes, edges);
  let spanned = 0;
  for (const [from, to] of edges) spanned += Math.max(0, rank.get(to)! - rank.get(from)! - 1);
  return { nodes: nodes.size, spanned };
}

/** Each node's rank: the longest path to it from a source (Kahn's order, no recursion). */
function longestPathRanks(nodes: Set<string>, edges: [string, string][]): Map<string, number> {
  const out = new Map<string, string[]>();
  const indegree = new Map<string, number>();
  const rank = new Map<string, number>();
  for (const node of nodes) {
    out.set(node, []);
    indegree.set(node, 0);
    rank.set(node, 0);
  }
  for (const [from, to] of edges) {
    out.get(from)!.push(to);
    indegree.set(to, indegree.get(to)! + 1);
  }
  const ready = [...nodes].filter((n) => indegree.get(n) === 0);
  while (ready.length) {
    const node = ready.pop()!;
    for (const next of out.get(node)!) {
      rank.set(next, Math.max(rank.get(next)!, rank.get(node)! + 1));
      const left = indegree.get(next)! - 1;
      indegree.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return rank;
}
