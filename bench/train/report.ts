/** The benchmark's printed report: a header, a markdown table, and notes. */
import type { BenchResult, WorkloadResult } from "./harness.js";
import type { SideFigures } from "./side.js";
import { median, quantile } from "./stats.js";
import { describeBlas, isReferenceBlas } from "./torch-peer.js";

interface Row {
  workload: string;
  metric: string;
  mtl: number;
  /** The peer's library-default form. */
  torch: number;
  /** The peer's best-practice form; NaN where the workload has no such form. */
  torchSparse: number;
  /** The better of the two PyTorch figures, the one the ratio and target are against. */
  best: number;
  /** mtl/best PyTorch of the metric as shown. */
  ratio: number;
  /** mtl/PyTorch default. */
  ratioDefault: number;
  /** "≥ 0.5", "≤ 2.0" or "" */
  target: string;
  met: boolean | null;
  unit: "rows/s" | "ms";
  /** Training: the flops/s of mtl and of the best PyTorch form as a fraction of the machine's sgemm limit. */
  mtlOfLimit?: number;
  bestOfLimit?: number;
  mtlRss?: number | undefined;
  torchRss?: number | undefined;
}

/** The better of two figures where a side may have none (NaN): higher rows/s, lower ms. */
function better(a: number, b: number, unit: Row["unit"]): number {
  if (!Number.isFinite(a)) return b;
  if (!Number.isFinite(b)) return a;
  return unit === "ms" ? Math.min(a, b) : Math.max(a, b);
}

/** The figures of one workload as table rows; NaN where a side has no figure. */
export function workloadRows(w: WorkloadResult, limitGflops = NaN): Row[] {
  const mtl = w.mtl;
  const rows: Row[] = [];
  const add = (
    metric: string,
    unit: Row["unit"],
    pick: (s: SideFigures) => number,
    target: { at: number; atLeast: boolean } | null,
  ) => {
    const a = pick(mtl);
    const torch = w.torch === null ? NaN : pick(w.torch);
    const torchSparse = w.torchSparse === null ? NaN : pick(w.torchSparse);
    const best = better(torch, torchSparse, unit);
    const ratio = a / best;
    const ofLimit = (rowsPerSec: number) => (rowsPerSec * (w.flopsPerRow ?? NaN)) / (limitGflops * 1e9);
    rows.push({
      workload: w.title,
      metric,
      mtl: a,
      torch,
      torchSparse,
      best,
      ratio,
      ratioDefault: a / torch,
      target: target === null ? "" : `${target.atLeast ? "≥" : "≤"} ${target.at.toFixed(2)}`,
      met: target === null || !Number.isFinite(ratio) ? null : target.atLeast ? ratio >= target.at : ratio <= target.at,
      unit,
      ...(w.kind === "train" && { mtlOfLimit: ofLimit(a), bestOfLimit: ofLimit(best) }),
      // Memory once per workload, on its first row: the best form's.
      mtlRss: rows.length === 0 ? mtl.peakRssBytes : undefined,
      torchRss: rows.length === 0 ? (best === torchSparse ? w.torchSparse?.peakRssBytes : w.torch?.peakRssBytes) : undefined,
    });
  };
  const rowsPerSec = (s: SideFigures) => median(s.roundRowsPerSec);
  if (w.kind === "train") {
    const at = "rowsRatioAtLeast" in w.target ? w.target.rowsRatioAtLeast : 1;
    add(`training rows/s (batch ${w.batch})`, "rows/s", rowsPerSec, { at, atLeast: true });
  } else {
    const at = "latencyRatioAtMost" in w.target ? w.target.latencyRatioAtMost : 2;
    const candidates = w.serving?.requestRows ?? NaN;
    add(`latency median, ${candidates.toLocaleString("en-US")} candidates`, "ms", (s) => median(s.latencyMs), {
      at,
      atLeast: false,
    });
    add(`latency p99, ${candidates.toLocaleString("en-US")} candidates`, "ms", (s) => quantile(s.latencyMs, 0.99), {
      at,
      atLeast: false,
    });
    add(`throughput rows/s (batch ${w.serving?.throughputRows.toLocaleString("en-US")})`, "rows/s", rowsPerSec, null);
  }
  return rows;
}

export function formatReport(result: BenchResult): string {
  const withPeer = result.peer.status === "ran";
  const o = result.options;
  const lines: string[] = [];
  lines.push("", "## Training and serving speed: mtl against PyTorch (issue #6)", "");
  lines.push(
    `machine: ${result.machine.cpu}, ${result.machine.cores} cores, 1-min load ${result.machine.loadBefore.toFixed(1)} at start, ${result.machine.loadAfter.toFixed(1)} at end (timings are noisy when it exceeds the core count)`,
  );
  const openblasEnv = Object.entries(result.machine.openblasEnv);
  if (openblasEnv.length > 0)
    lines.push(
      `OpenBLAS settings from the environment, for both sides and the limit: ${openblasEnv.map(([k, v]) => `${k}=${v}`).join(", ")}` +
        (result.machine.openblasEnv["OPENBLAS_CORETYPE"] !== undefined ? " (OPENBLAS_CORETYPE forces those kernels instead of the CPU's own choice)" : ""),
    );
  lines.push(
    `mtl: tfjs ${String(result.mtl.tfjs ?? "?")}, ${String(result.mtl.backend ?? "?")} backend, matrix products on ${String(result.mtl.matmul ?? "?")}, ${result.machine.node}`,
  );
  if (withPeer) {
    lines.push(
      `PyTorch: ${result.peer.detail}, ${describeBlas(result.peer.blas)}; ` +
        "two forms: default (plain nn.Embedding, dense Adam over every table row) and sparse " +
        "(nn.Embedding(sparse=True) + SparseAdam for the tables, Adam for the rest: lazy Adam, mtl's math; " +
        "serving one user's candidates, the user columns' share of the first layers computed once per request, as mtl does)",
    );
  } else {
    lines.push(result.peer.detail);
  }
  lines.push(
    `${o.quick ? "--quick (small tables and batches; a smoke test, not a measurement): " : ""}${o.rounds} interleaved round(s), ${o.steps} step(s) or ${o.requests} request(s) + ${o.throughputCalls} throughput call(s) per side per round, ${o.warmup} warm-up, ${o.rewarm} untimed step(s) per side before each training round's timed ones; rows/s are medians over rounds`,
  );
  lines.push(
    result.limit.gflops !== undefined
      ? `machine limit: ${result.limit.gflops.toFixed(1)} GFLOP/s, the best of repeated one-thread sgemm ${result.limit.shape.join("x")} (torch.mm on the peer's BLAS)`
      : (result.limit.detail ?? "machine limit not measured"),
    "",
  );

  const header = withPeer
    ? [
        "workload",
        "metric",
        "mtl",
        "PyTorch default",
        "PyTorch sparse",
        "mtl/best PyTorch",
        "target",
        "mtl/default",
        "mtl % of limit",
        "best PyTorch % of limit",
        "peak RSS mtl",
        "peak RSS PyTorch",
      ]
    : ["workload", "metric", "mtl", "mtl % of limit", "peak RSS mtl"];
  for (const threads of o.threads) {
    const runs = result.workloads.filter((w) => w.threads === threads);
    if (runs.length === 0) continue;
    lines.push(`### ${threads} thread${threads === 1 ? "" : "s"} (${threadsLine(runs, withPeer)})`, "");
    // At n threads the machine's limit is n times one thread's.
    const limit = (result.limit.gflops ?? NaN) * threads;
    lines.push(...markdownTable(header, runs.flatMap((w) => tableCells(w, withPeer, limit))), "");
  }

  const notes: string[] = [];
  const busiest = Math.max(result.machine.loadBefore, result.machine.loadAfter);
  if (busiest > result.machine.cores && o.threads.some((n) => n > 1)) {
    notes.push(
      `The machine's load (${busiest.toFixed(1)}) exceeded its ${result.machine.cores} cores: at more than one thread both sides' pools ` +
        "compete with other processes (PyTorch's OpenMP threads worst), so the multi-thread ratios are not a measurement; rerun on a quiet machine.",
    );
  }
  if (withPeer && isReferenceBlas(result.peer.blas)) {
    notes.push(
      "PyTorch runs on the reference BLAS (Debian's libblas3, unoptimised), so its matmuls are about 10x slower than they would be " +
        "with OpenBLAS and the ratios flatter mtl. For a representative peer install libopenblas0-pthread, or pass " +
        "--torch-library-path DIR with a directory holding OpenBLAS's libblas.so.3.",
    );
  }
  if (withPeer && result.mtl.backend === "wasm") {
    const mtlOnOpenBlas = /openblas/i.test(String(result.mtl.matmul ?? ""));
    const peerOnOpenBlas = /openblas/i.test(String(result.peer.blas ?? ""));
    if (mtlOnOpenBlas && peerOnOpenBlas) {
      notes.push("Both sides compute matrix products with OpenBLAS on the same number of threads: at one thread the ratios measure everything else; " +
          "at more, mtl spreads only its products over the threads, and PyTorch its other kernels too or not, whichever ran the workload faster " +
          "(tried before its rounds, with OMP_WAIT_POLICY=PASSIVE).");
    } else if (!mtlOnOpenBlas && peerOnOpenBlas) {
      notes.push(
        "mtl's matrix products ran on XNNPACK (128-bit wasm SIMD) against PyTorch's OpenBLAS: install libopenblas0-pthread " +
          "(mtl then uses it through the optional koffi package) or leave MTL_BLAS unset to compare like with like.",
      );
    }
  }
  for (const w of result.workloads) {
    for (const side of [w.mtl, w.torch]) {
      if (side?.error !== undefined) notes.push(`${w.title}: ${side.label} failed: ${side.error}`);
    }
  }
  notes.push(
    "ratios and targets are against the better PyTorch form of the same run (higher rows/s, lower latency); mtl/default is against the library default. " +
      "Serving latency ratios are mtl/PyTorch latency (lower is better for mtl); rows/s ratios are mtl/PyTorch rows/s.",
  );
  notes.push(
    "% of limit: training rows/s x forward+backward flops per row (6·in·out per Linear, 4·in·out for a layer reading a numeric-only input; bench/train/flops.ts) " +
      "over the machine limit's flops/s; at n threads the limit is n times the one-thread figure.",
  );
  notes.push(
    `peak RSS: each side runs each workload in a fresh process; the figure includes the runtime itself (${runtimeBaseline(result)}).`,
  );
  lines.push(...notes.map((n) => `- ${n}`));
  return lines.join("\n");
}

/** What each side reported computing with, e.g. "mtl: 2 thread(s) for matrix products, ...; PyTorch: 2 intra-op thread(s)". */
function threadsLine(runs: WorkloadResult[], withPeer: boolean): string {
  const counts = (sides: (SideFigures | null)[]) =>
    [...new Set(sides.map((side) => side?.threads).filter((n): n is number => n !== undefined))].sort().join("/") || "?";
  const mtl = `mtl: ${counts(runs.map((w) => w.mtl))} thread(s) for matrix products, one for the rest of the step`;
  if (!withPeer) return mtl;
  const peers = runs.flatMap((w) => [w.torch, w.torchSparse]);
  const chosen = peers.some((side) => side?.threadChoiceMs !== undefined)
    ? ` (per workload and form: ${runs.flatMap((w) => peerChoices(w)).join(", ")})`
    : "";
  return `${mtl}; PyTorch: ${counts(peers)} intra-op thread(s)${chosen}`;
}

/** "recsys-MMoE sparse 1" for each PyTorch side of a workload that chose its intra-op threads. */
function peerChoices(w: WorkloadResult): string[] {
  return [w.torch, w.torchSparse]
    .filter((side): side is SideFigures => side?.threadChoiceMs !== undefined && side.threads !== undefined)
    .map((side) => `${w.title}${side.label === "PyTorch sparse" ? " sparse" : ""} ${side.threads}`);
}

const percent = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : "");
const ratioCell = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "—");

/** One workload's table rows, its speed as a fraction of `limitGflops`. */
function tableCells(w: WorkloadResult, withPeer: boolean, limitGflops: number): string[][] {
  return workloadRows(w, limitGflops).map((row) => {
    const figure = (x: number) =>
      Number.isFinite(x) ? (row.unit === "ms" ? `${x.toFixed(1)} ms` : Math.round(x).toLocaleString("en-US")) : "—";
    return withPeer
      ? [
          row.workload,
          row.metric,
          figure(row.mtl),
          figure(row.torch),
          w.torchSparse === null ? "(= default)" : figure(row.torchSparse),
          ratioCell(row.ratio),
          row.target === "" ? "" : `${row.target} ${row.met === null ? "" : row.met ? "met" : "MISSED"}`.trim(),
          ratioCell(row.ratioDefault),
          percent(row.mtlOfLimit),
          percent(row.bestOfLimit),
          bytes(row.mtlRss),
          bytes(row.torchRss),
        ]
      : [row.workload, row.metric, figure(row.mtl), percent(row.mtlOfLimit), bytes(row.mtlRss)];
  });
}

/** The smallest resident set each side had once its runtime was loaded, e.g. "mtl 150 MB, PyTorch 230 MB at start". */
function runtimeBaseline(result: BenchResult): string {
  const least = (pick: (w: WorkloadResult) => SideFigures | null) =>
    Math.min(...result.workloads.map((w) => pick(w)?.startRssBytes ?? Infinity));
  const parts = [`mtl ${bytes(least((w) => w.mtl))}`];
  if (result.peer.status === "ran") parts.push(`PyTorch ${bytes(least((w) => w.torch))}`);
  return `${parts.join(", ")} at start`;
}

function bytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "";
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${Math.round(n / 1e6)} MB`;
}

function markdownTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)];
}
