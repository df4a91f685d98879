import type { CheckContext } from "./context.js";
import { draft } from "./option-types.js";
import type { FeatureSym } from "./symbols.js";

/**
 * `categorical(shares: item_id)`: the feature reads `item_id`'s embedding
 * table. One table holds one set of ids at one width, so the two encodings
 * must be identical: the same `buckets` (a stable hash modulo the same
 * count) or the same `vocab` in the same order (a value's row is its
 * position), and the same `dim`. They are restated rather than inherited, so
 * a reader of the declaration sees its encoding, and this check keeps the
 * restatement honest. Runs after every declaration is checked, since the
 * table's owner may be declared later.
 */
export function checkSharedTables(ctx: CheckContext): void {
  for (const sym of ctx.symbols.values()) {
    // A group's members share their group's call: check the declaration once.
    if (sym.kind !== "feature" || sym.group || sym.call?.ctor !== "categorical") continue;
    const shares = draft(sym.call.options).shares;
    const target = shares?.sym;
    if (!shares || target?.kind !== "feature") continue;
    const range = shares.name.range;
    if (target === sym || target.group === sym) {
      ctx.report("MTL3030", range, target.name);
      continue;
    }
    const ctor = target.call?.ctor ?? target.decl.ctor?.callee.text;
    if (ctor !== "categorical") {
      if (ctor !== undefined) ctx.report("MTL2003", range, target.name, `a ${ctor} feature`, "a categorical feature (whose embedding table this one reads)");
      continue;
    }
    const owner = target.call === undefined ? undefined : ownerOf(target);
    if (owner !== undefined && owner !== target) {
      ctx.report("MTL3031", range, target.name, owner.name);
      continue;
    }
    if (target.call?.ctor !== "categorical") continue;
    const mine = draft(sym.call.options);
    const theirs = draft(target.call.options);
    const difference = encodingDifference(mine, theirs);
    if (difference) ctx.report("MTL3032", range, sym.name, target.name, difference.what, difference.fix);
  }
}

/** The feature whose table `sym` reads: the one it shares, or itself. */
export function ownerOf(sym: FeatureSym): FeatureSym {
  if (sym.call?.ctor !== "categorical") return sym;
  const target = draft(sym.call.options).shares?.sym;
  return target?.kind === "feature" ? target : sym;
}

type CategoricalOptions = { buckets?: number; vocab?: string[]; dim?: number };

function encodingDifference(mine: CategoricalOptions, theirs: CategoricalOptions): { what: string; fix: string } | undefined {
  const ids = (o: CategoricalOptions) => (o.vocab ? `vocab: [${o.vocab.map((v) => JSON.stringify(v)).join(", ")}]` : o.buckets !== undefined ? `buckets: ${o.buckets}` : undefined);
  const own = ids(mine);
  const other = ids(theirs);
  if (own !== undefined && other !== undefined && own !== other) {
    return { what: `ids differ ('${own}' here, '${other}' there)`, fix: `'${other}'` };
  }
  if (mine.dim !== undefined && theirs.dim !== undefined && mine.dim !== theirs.dim) {
    return { what: `width differs ('dim: ${mine.dim}' here, 'dim: ${theirs.dim}' there)`, fix: `'dim: ${theirs.dim}'` };
  }
  return undefined;
}
