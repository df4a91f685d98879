import type { CheckContext } from "./context.js";
import { draft } from "./option-types.js";
import type { ExpertSym, FeatureSym, GateSym, Sym } from "./symbols.js";

/**
 * Reports every cycle once (at its first declaration in the file) and
 * returns the acyclic symbols in dependency order: each after all it reads.
 */
export function orderSymbols(ctx: CheckContext): Sym[] {
  const cyclic = new Set<Sym>();
  for (const component of stronglyConnected([...ctx.symbols.values()])) {
    const loop = component.length > 1 || component[0]!.deps.includes(component[0]!);
    if (!loop) continue;
    component.forEach((s) => cyclic.add(s));
    const first = component.reduce((a, b) => (a.decl.range.start.offset <= b.decl.range.start.offset ? a : b));
    ctx.report("MTL4001", first.decl.name.range, cyclePath(first, new Set(component)));
  }
  return postOrder([...ctx.symbols.values()], (sym) => sym.deps, (sym) => !cyclic.has(sym));
}

/**
 * Depth-first post-order (dependencies before dependents), with an explicit
 * stack: a spec may chain thousands of declarations.
 */
export function postOrder<T>(roots: readonly T[], next: (node: T) => readonly T[], include: (node: T) => boolean = () => true): T[] {
  const order: T[] = [];
  const seen = new Set<T>();
  for (const root of roots) {
    if (seen.has(root) || !include(root)) continue;
    seen.add(root);
    const stack: { node: T; i: number }[] = [{ node: root, i: 0 }];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const deps = next(top.node);
      if (top.i < deps.length) {
        const dep = deps[top.i++]!;
        if (!seen.has(dep) && include(dep)) {
          seen.add(dep);
          stack.push({ node: dep, i: 0 });
        }
        continue;
      }
      stack.pop();
      order.push(top.node);
    }
  }
  return order;
}

/** Tarjan's algorithm, iterative so a long chain of declarations cannot overflow the stack. */
function stronglyConnected(nodes: Sym[]): Sym[][] {
  const index = new Map<Sym, number>();
  const low = new Map<Sym, number>();
  const onStack = new Set<Sym>();
  const stack: Sym[] = [];
  const components: Sym[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { sym: Sym; next: number }[] = [{ sym: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const frame = work[work.length - 1]!;
      const { sym } = frame;
      if (frame.next < sym.deps.length) {
        const dep = sym.deps[frame.next++]!;
        if (!index.has(dep)) {
          index.set(dep, counter);
          low.set(dep, counter++);
          stack.push(dep);
          onStack.add(dep);
          work.push({ sym: dep, next: 0 });
        } else if (onStack.has(dep)) {
          low.set(sym, Math.min(low.get(sym)!, index.get(dep)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.sym, Math.min(low.get(parent.sym)!, low.get(sym)!));
      if (low.get(sym) === index.get(sym)) {
        const component: Sym[] = [];
        let member: Sym;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== sym);
        components.push(component);
      }
    }
  }
  return components;
}

/** "a -> b -> a", following dependencies inside the cycle from its first declaration. */
function cyclePath(start: Sym, members: Set<Sym>): string {
  const path = [start.name];
  const visited = new Set<Sym>([start]);
  let current = start;
  for (;;) {
    const next = current.deps.find((d) => d === start) ?? current.deps.find((d) => members.has(d) && !visited.has(d));
    if (!next) break;
    path.push(next.name);
    if (next === start) break;
    visited.add(next);
    current = next;
  }
  return path.join(" -> ");
}

/** Every node's output width, in dependency order, with mismatches reported where they arise. */
export function inferWidths(ctx: CheckContext, order: Sym[]): void {
  for (const sym of order) {
    const width = widthOf(ctx, sym);
    if (width !== undefined) sym.width = width;
  }
}

function widthOf(ctx: CheckContext, sym: Sym): number | undefined {
  switch (sym.kind) {
    case "feature":
      return featureWidth(sym);
    case "input": {
      if (sym.inputs.length === 0) return undefined;
      const widths = sym.inputs.map((s) => s.width);
      return widths.every((w) => w !== undefined) ? widths.reduce((a, b) => a! + b!, 0) : undefined;
    }
    case "expert":
    case "tower":
      return sym.units?.[sym.units.length - 1];
    case "gate":
      return gateWidth(ctx, sym);
    case "task":
      return 1;
  }
}

function featureWidth(sym: FeatureSym): number | undefined {
  switch (sym.call?.ctor) {
    case "categorical":
      return draft(sym.call.options).dim;
    case "numeric":
      return 1;
    case "sequence": {
      const of = draft(sym.call.options).of?.sym;
      return of?.kind === "feature" && of.call?.ctor === "categorical" ? of.width : undefined;
    }
    case undefined:
      return undefined;
  }
}

function gateWidth(ctx: CheckContext, gate: GateSym): number | undefined {
  const total = gate.experts.reduce((n, e) => n + e.count, 0);
  const counted = gate.experts.every((e) => !e.countRejected);
  if (gate.experts.length > 0 && total === 1 && counted && gate.experts.length === gate.decl.over.length) ctx.report("MTL4003", gate.decl.name.range, gate.name);
  let first: ExpertSym | undefined;
  let consistent = true;
  for (const expert of gate.experts) {
    if (expert.width === undefined) {
      consistent = false;
      continue;
    }
    if (!first) {
      first = expert;
      continue;
    }
    if (expert.width !== first.width) {
      consistent = false;
      const name = gate.decl.over.find((n) => n.text === expert.name)!;
      ctx.report("MTL4002", name.range, gate.name, expert.name, expert.width, first.name, first.width!);
    }
  }
  return consistent && first && gate.input?.width !== undefined ? first.width : undefined;
}
