/**
 * Rules of train.weighting: gradnorm needs a network every trained task reads
 * (src/ir/gradnorm-layer.ts decides which, for the checker and the back ends
 * alike), and a learned weighting over a single trained task balances nothing.
 */
import type * as A from "../syntax/ast.js";
import { lastSharedNetworks } from "../ir/gradnorm-layer.js";
import type { CheckContext } from "./context.js";
import type { TrainOptions } from "./option-types.js";
import type { Sym, TaskSym } from "./symbols.js";

/** `weighting` is undefined when its value was rejected (reported already). */
export function checkWeighting(ctx: CheckContext, weighting: TrainOptions["weighting"] | undefined, tasks: readonly TaskSym[], train: A.BlockDecl | undefined): void {
  if (weighting?.ctor !== "gradnorm" && weighting?.ctor !== "dwa") return;
  const entry = train?.entries.find((e) => e.name.text === "weighting");
  if (!entry) return;
  const trained = tasks.filter((t) => t.decl.label);
  if (trained.length === 1) {
    ctx.report("MTL3036", entry.value.range, weighting.ctor, trained[0]!.name);
    return;
  }
  if (weighting.ctor !== "gradnorm" || trained.length === 0) return;
  const roots = trained.map(headsOf);
  // A broken head (reported elsewhere) leaves nothing to say about sharing.
  if (roots.some((r) => r === null)) return;
  const shared = lastSharedNetworks(roots as Sym[][], (s) => s.deps, (s) => s.kind === "expert" || s.kind === "tower");
  if (shared.length === 0) ctx.report("MTL3035", entry.value.range, listNames(trained.map((t) => t.name)));
}

/** The nodes a task's output reads: its head, or its factors' heads; null when one is unresolved. */
function headsOf(task: TaskSym): Sym[] | null {
  if (task.head) return [task.head];
  if (task.factors.length === 0) return null;
  const heads = task.factors.map(headsOf);
  return heads.some((h) => h === null) ? null : heads.flat() as Sym[];
}

function listNames(names: readonly string[]): string {
  const quoted = names.map((n) => `'${n}'`);
  return quoted.length <= 2 ? quoted.join(" and ") : `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
}
