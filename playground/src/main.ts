/** The playground page: editor, picture, examples, training, export and the share link. */
import type { EditorView } from "@codemirror/view";
import { applyFix, createEditor, LanguageClient } from "./editor.js";
import { DEFAULT_EXAMPLE, EXAMPLES } from "./examples.js";
import { WORLD_LABELS, type DiagnosticData, type TrainReply, type TrainRequest } from "./protocol.js";
import { decodeSpec, encodeSpec } from "./share.js";
import { drawCurves } from "./curves.js";
import { zip } from "./zip.js";
import type { ValidIR } from "../../src/ir/types.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const language = new LanguageClient(new Worker(new URL("./language-worker.js", import.meta.url), { type: "module" }));
let ir: ValidIR | null = null;
let modelName = "model";
let diagnostics: DiagnosticData[] = [];
let view: EditorView;

/** What the end-to-end tests read: page start to the first diagnostics shown, and the editor's text. */
const timings: { firstCheck?: number } = {};
(window as unknown as { mtlPlayground: unknown }).mtlPlayground = { timings, text: () => view.state.doc.toString() };

language.onCheck = (reply, text) => {
  timings.firstCheck ??= performance.now();
  diagnostics = reply.diagnostics;
  ir = reply.ir;
  if (ir) modelName = ir.model.name;
  renderProblems();
  $("status").textContent = reply.diagnostics.length === 0 ? `no problems (checked in ${reply.millis.toFixed(1)} ms)` : summary(reply.diagnostics);
  $("status").dataset["state"] = reply.diagnostics.some((d) => d.severity === "error") ? "error" : "ok";
  $<HTMLButtonElement>("train").disabled = ir === null;
  $<HTMLButtonElement>("export-ts").disabled = ir === null;
  if (!ir) $("graph").classList.add("stale");
  updateShareLink(text);
};

language.onGraph = (reply) => {
  const graph = $("graph");
  if (reply.svg) {
    graph.innerHTML = reply.svg;
    graph.classList.remove("stale");
  } else if (reply.error) {
    graph.classList.add("stale");
    $("graph-error").textContent = reply.error;
  }
  if (reply.svg) $("graph-error").textContent = "";
};

function summary(ds: DiagnosticData[]): string {
  const errors = ds.filter((d) => d.severity === "error").length;
  const warnings = ds.length - errors;
  return [errors && `${errors} error${errors > 1 ? "s" : ""}`, warnings && `${warnings} warning${warnings > 1 ? "s" : ""}`].filter(Boolean).join(", ");
}

function lineColumn(offset: number): string {
  const line = view.state.doc.lineAt(Math.min(offset, view.state.doc.length));
  return `${line.number}:${offset - line.from + 1}`;
}

function renderProblems(): void {
  const list = $("problems");
  list.replaceChildren();
  for (const d of diagnostics) {
    const item = document.createElement("li");
    item.className = `problem ${d.severity}`;
    const where = document.createElement("button");
    where.className = "where";
    where.textContent = `${lineColumn(d.from)} ${d.code}`;
    where.onclick = () => {
      view.dispatch({ selection: { anchor: d.from, head: d.to }, scrollIntoView: true });
      view.focus();
    };
    const message = document.createElement("span");
    message.className = "message";
    message.textContent = d.message;
    item.append(where, message);
    for (const fix of d.fixes) {
      const button = document.createElement("button");
      button.className = "fix";
      button.textContent = fix.title;
      button.onclick = () => applyFix(view, fix);
      item.append(button);
    }
    list.append(item);
  }
}

// ── share link and examples ──────────────────────────────────────────────

let shareTimer: ReturnType<typeof setTimeout> | undefined;
function updateShareLink(text: string): void {
  clearTimeout(shareTimer);
  shareTimer = setTimeout(async () => {
    const hash = `#spec=${await encodeSpec(text)}`;
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }, 300);
}

function setText(text: string): void {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: 0 }, scrollIntoView: true });
}

function renderExamples(): void {
  const bar = $("examples");
  for (const name of Object.keys(EXAMPLES)) {
    const button = document.createElement("button");
    button.textContent = name.replace(/\.mtl$/, "");
    button.dataset["example"] = name;
    button.onclick = () => setText(EXAMPLES[name]!);
    bar.append(button);
  }
}

// ── training ─────────────────────────────────────────────────────────────

/** Started on the first Train: TensorFlow.js and the data generators are not loaded before they are needed. */
let trainer: Worker | undefined;
const send = (request: TrainRequest) => {
  if (!trainer) {
    trainer = new Worker(new URL("./train-worker.js", import.meta.url), { type: "module" });
    trainer.onmessage = onTrainReply;
  }
  trainer.postMessage(request);
};
const losses: [number, number][] = [];
const aucs: Record<string, [number, number][]> = {};
let training: "idle" | "running" | "paused" | "done" = "idle";

function setTraining(state: typeof training): void {
  training = state;
  $("train-panel").dataset["state"] = state;
  $<HTMLButtonElement>("stop").disabled = state !== "running";
  $<HTMLButtonElement>("resume").disabled = state !== "paused";
  $<HTMLButtonElement>("export-model").disabled = state === "idle" || state === "running";
}

function onTrainReply(event: MessageEvent<TrainReply>): void {
  const reply = event.data;
  switch (reply.kind) {
    case "ready":
      $("train-info").textContent = `${WORLD_LABELS[reply.world]}: ${reply.rows.toLocaleString("en")} training rows, ${reply.backend} backend${reply.source ? `. Data: ${reply.source}` : ""}`;
      break;
    case "step": {
      losses.push([reply.step, reply.loss]);
      $<HTMLProgressElement>("progress").value = reply.step / reply.steps;
      $("step").textContent = `step ${reply.step} / ${reply.steps}, loss ${reply.loss.toFixed(4)}`;
      drawCurves($("loss-chart"), { loss: losses });
      break;
    }
    case "metrics": {
      const table = $("metrics");
      table.replaceChildren();
      for (const row of reply.metrics) {
        const m = row.metrics;
        const value = m.type === "binary" ? m.auc : m.rmse;
        if (m.type === "binary" && Number.isFinite(m.auc)) (aucs[row.task] ??= []).push([reply.step, m.auc]);
        const tr = document.createElement("tr");
        tr.dataset["task"] = row.task;
        for (const cell of [row.task, row.on, m.type === "binary" ? "AUC" : "RMSE", Number.isFinite(value) ? value.toFixed(4) : "n/a"]) {
          const td = document.createElement("td");
          td.textContent = cell;
          tr.append(td);
        }
        table.append(tr);
      }
      drawCurves($("auc-chart"), aucs, { min: 0.5, max: 1 });
      break;
    }
    case "paused":
      setTraining("paused");
      $("step").textContent += " (stopped)";
      break;
    case "done":
      setTraining("done");
      $("step").textContent += " (done)";
      break;
    case "export":
      download(`${modelName}-model.zip`, zip(`${modelName}-model`, reply.files), "application/zip");
      break;
    case "error":
      $("train-error").textContent = reply.message;
      if (training === "running") setTraining("idle");
      break;
  }
}

function startTraining(): void {
  if (!ir) return;
  losses.length = 0;
  for (const k of Object.keys(aucs)) delete aucs[k];
  $("metrics").replaceChildren();
  $("train-error").textContent = "";
  $("train-info").textContent = "generating data and fitting the encoding...";
  drawCurves($("loss-chart"), {});
  drawCurves($("auc-chart"), {});
  const steps = Math.max(1, Math.min(100_000, Number($<HTMLInputElement>("steps").value) || 200));
  setTraining("running");
  send({ kind: "start", ir, spec: view.state.doc.toString(), steps, evalEvery: Math.max(10, Math.round(steps / 10)) });
}

// ── export and import ────────────────────────────────────────────────────

function download(name: string, data: string | Uint8Array, type: string): void {
  const url = URL.createObjectURL(new Blob([data as BlobPart], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function exportTypeScript(): Promise<void> {
  const reply = await language.ask({ kind: "typescript", text: view.state.doc.toString() });
  if (reply.source) download(`${modelName}.ts`, reply.source, "text/typescript");
  else $("status").textContent = `TypeScript module: ${reply.error}`;
}

async function importSpec(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  // The checker reports bad UTF-8 itself (as mtl check does); decode leniently so the text reaches it.
  setText(new TextDecoder("utf-8").decode(bytes));
}

// ── start ────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  renderExamples();
  const shared = location.hash.startsWith("#spec=") ? await decodeSpec(location.hash.slice(6)).catch(() => null) : null;
  if (location.hash.startsWith("#spec=") && shared === null) $("status").textContent = "the link's spec could not be read; showing an example instead";
  view = createEditor($("editor"), shared ?? EXAMPLES[DEFAULT_EXAMPLE]!, language, () => {});
  $("train").onclick = startTraining;
  $("stop").onclick = () => send({ kind: "pause" });
  $("resume").onclick = () => {
    setTraining("running");
    send({ kind: "resume" });
  };
  $("export-spec").onclick = () => download(`${modelName}.mtl`, view.state.doc.toString(), "text/plain");
  $("export-ts").onclick = () => void exportTypeScript();
  $("export-model").onclick = () => send({ kind: "export" });
  $("import-spec").onchange = (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) void importSpec(file);
    (e.target as HTMLInputElement).value = "";
  };
  $("copy-link").onclick = async () => {
    await updateShareLinkNow();
    await navigator.clipboard?.writeText(location.href).catch(() => {});
    $("copy-link").textContent = "Link copied";
    setTimeout(() => ($("copy-link").textContent = "Copy link"), 1500);
  };
  setTraining("idle");
  // Offline once loaded: the service worker caches the whole site (sw.ts).
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("sw.js").catch(() => {});
}

async function updateShareLinkNow(): Promise<void> {
  history.replaceState(null, "", `#spec=${await encodeSpec(view.state.doc.toString())}`);
}

window.addEventListener("hashchange", async () => {
  if (!location.hash.startsWith("#spec=")) return;
  const text = await decodeSpec(location.hash.slice(6)).catch(() => null);
  if (text !== null && text !== view.state.doc.toString()) setText(text);
});

void main();
