/** The messages between the page and its two workers; positions are UTF-16 offsets into the spec text. */
import type { TaskEvaluation } from "../../src/evaluate/evaluate.js";
import type { ValidIR } from "../../src/ir/types.js";

export interface FixData {
  title: string;
  from: number;
  to: number;
  newText: string;
}

export interface DiagnosticData {
  from: number;
  to: number;
  severity: "error" | "warning";
  code: string;
  message: string;
  fixes: FixData[];
}

/** A highlighting class per token, from the project's own lexer (src/syntax/tokens.ts). */
export type TokenClass = "keyword" | "docComment" | "comment" | "string" | "number" | "call" | "name" | "punctuation";

export type LanguageRequest =
  | { id: number; kind: "check"; text: string }
  | { id: number; kind: "hover"; text: string; offset: number }
  | { id: number; kind: "complete"; text: string; offset: number }
  | { id: number; kind: "typescript"; text: string };

export type LanguageReply =
  | { id: number; kind: "check"; diagnostics: DiagnosticData[]; tokens: [number, number, TokenClass][]; ir: ValidIR | null; millis: number }
  | { id: number; kind: "graph"; svg: string | null; error: string | null }
  | { id: number; kind: "hover"; hover: { from: number; to: number; markdown: string } | null }
  | { id: number; kind: "complete"; from: number; items: { label: string; detail?: string; apply: string; type: string }[] }
  | { id: number; kind: "typescript"; source: string | null; error: string | null };

/** The data a spec trains on: the first of these that has every column it reads. */
export const WORLDS = ["esmm", "esmm-log", "mmoe", "census"] as const;
export type World = (typeof WORLDS)[number];

/** How the page names each world. */
export const WORLD_LABELS: Readonly<Record<World, string>> = {
  esmm: "ESMM world",
  "esmm-log": "ESMM world as a log (negatives down-sampled, weighted)",
  mmoe: "MMoE generator",
  census: "Census-Income sample",
};

export type TrainRequest =
  /** The IR the language worker compiled: it passed the IR gate there, and a structured clone keeps it as it was. */
  | { kind: "start"; ir: ValidIR; spec: string; steps: number; evalEvery: number }
  | { kind: "pause" }
  | { kind: "resume" }
  | { kind: "export" };

export type TrainReply =
  /** `source`: where real data comes from and its attribution (the census sample); absent for synthetic data. */
  | { kind: "ready"; backend: string; world: World; rows: number; source?: string }
  | { kind: "step"; step: number; steps: number; loss: number; perTask: Record<string, number> }
  | { kind: "metrics"; step: number; metrics: TaskEvaluation[] }
  | { kind: "paused"; step: number }
  | { kind: "done"; step: number }
  | { kind: "export"; files: { name: string; bytes: Uint8Array }[] }
  | { kind: "error"; message: string };
