/**
 * The CodeMirror 6 editor wired to the language worker: highlighting from
 * mtl's lexer, the checker's diagnostics (with their quick fixes) as you
 * type, hover and completion from src/lsp.
 */
import { autocompletion, closeBrackets, completionKeymap, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching } from "@codemirror/language";
import { linter, lintGutter, type Diagnostic } from "@codemirror/lint";
import { EditorState, StateEffect, StateField, type Extension } from "@codemirror/state";
import { Decoration, EditorView, highlightActiveLine, hoverTooltip, keymap, lineNumbers, type DecorationSet } from "@codemirror/view";
import type { DiagnosticData, LanguageReply, LanguageRequest, TokenClass } from "./protocol.js";

type Reply<K extends LanguageReply["kind"]> = Extract<LanguageReply, { kind: K }>;
type Ask = { [K in LanguageRequest["kind"]]: Omit<Extract<LanguageRequest, { kind: K }>, "id"> }[LanguageRequest["kind"]];

/** A request/reply channel to the language worker; the graph arrives after its check's reply. */
export class LanguageClient {
  private next = 1;
  private waiting = new Map<number, (reply: LanguageReply) => void>();
  onGraph: (reply: Reply<"graph">) => void = () => {};
  onCheck: (reply: Reply<"check">, text: string) => void = () => {};

  constructor(private worker: Worker) {
    worker.onmessage = (event: MessageEvent<LanguageReply>) => {
      const reply = event.data;
      if (reply.kind === "graph") return this.onGraph(reply);
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    };
  }

  ask<K extends LanguageRequest["kind"]>(request: Ask & { kind: K }): Promise<Reply<K>> {
    const id = this.next++;
    return new Promise((done) => {
      this.waiting.set(id, done as (reply: LanguageReply) => void);
      this.worker.postMessage({ ...request, id });
    });
  }

  async check(text: string): Promise<Reply<"check">> {
    const reply = await this.ask({ kind: "check", text });
    this.onCheck(reply, text);
    return reply;
  }
}

const setTokens = StateEffect.define<DecorationSet>();

const tokenField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(value, tr) {
    for (const e of tr.effects) if (e.is(setTokens)) return e.value;
    return value.map(tr.changes);
  },
  provide: (f) => EditorView.decorations.from(f),
});

const MARKS: Record<TokenClass, Decoration> = Object.fromEntries(
  (["keyword", "docComment", "comment", "string", "number", "call", "name", "punctuation"] as const).map((c) => [c, Decoration.mark({ class: `tok-mtl-${c}` })]),
) as Record<TokenClass, Decoration>;

export function toLint(d: DiagnosticData, apply: (view: EditorView, fix: DiagnosticData["fixes"][number]) => void): Diagnostic {
  return {
    from: d.from,
    to: Math.max(d.to, d.from),
    severity: d.severity,
    source: d.code,
    message: d.message,
    actions: d.fixes.map((fix) => ({ name: fix.title, apply: (view: EditorView) => apply(view, fix) })),
  };
}

export function applyFix(view: EditorView, fix: DiagnosticData["fixes"][number]): void {
  view.dispatch({ changes: { from: fix.from, to: fix.to, insert: fix.newText } });
}

export function createEditor(parent: HTMLElement, doc: string, client: LanguageClient, onChange: (text: string) => void): EditorView {
  const lint = linter(
    async (view) => {
      const text = view.state.doc.toString();
      const reply = await client.check(text);
      if (view.state.doc.toString() !== text) return [];
      const marks = reply.tokens.filter(([from, to]) => to <= text.length && from < to).map(([from, to, cls]) => MARKS[cls].range(from, to));
      view.dispatch({ effects: setTokens.of(Decoration.set(marks, true)) });
      return reply.diagnostics.map((d) => toLint(d, applyFix));
    },
    { delay: 120 },
  );

  const hover = hoverTooltip(async (view, pos) => {
    const reply = await client.ask({ kind: "hover", text: view.state.doc.toString(), offset: pos });
    if (!reply.hover) return null;
    const { from, to, markdown } = reply.hover;
    return {
      pos: from,
      end: to,
      above: true,
      create: () => {
        const dom = document.createElement("div");
        dom.className = "mtl-hover";
        renderMarkdown(dom, markdown);
        return { dom };
      },
    };
  });

  const complete = async (ctx: CompletionContext): Promise<CompletionResult | null> => {
    const word = ctx.matchBefore(/[A-Za-z0-9_]*/);
    const trigger = ctx.state.sliceDoc(ctx.pos - 1, ctx.pos);
    if (!ctx.explicit && (!word || word.from === word.to) && !/[:(,=*\s]/.test(trigger)) return null;
    const reply = await client.ask({ kind: "complete", text: ctx.state.doc.toString(), offset: ctx.pos });
    if (reply.items.length === 0) return null;
    return { from: reply.from, options: reply.items.map((i) => ({ label: i.label, apply: i.apply, type: i.type, ...(i.detail !== undefined && { detail: i.detail }) })), validFor: /^[A-Za-z0-9_]*$/ };
  };

  const extensions: Extension[] = [
    lineNumbers(),
    history(),
    bracketMatching(),
    closeBrackets(),
    highlightActiveLine(),
    lintGutter(),
    tokenField,
    lint,
    hover,
    autocompletion({ override: [complete] }),
    keymap.of([...completionKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) onChange(update.state.doc.toString());
    }),
  ];
  return new EditorView({ parent, state: EditorState.create({ doc, extensions }) });
}

/** Hover text is Markdown from src/lsp/hover.ts: fenced code blocks, `code`, paragraphs. */
export function renderMarkdown(into: HTMLElement, markdown: string): void {
  const parts = markdown.split(/```[a-z]*\n?/);
  parts.forEach((part, i) => {
    if (part.trim() === "") return;
    if (i % 2 === 1) {
      const pre = document.createElement("pre");
      pre.textContent = part.replace(/\n$/, "");
      into.append(pre);
      return;
    }
    for (const paragraph of part.split(/\n\n+/)) {
      if (paragraph.trim() === "") continue;
      const p = document.createElement("p");
      paragraph.split(/(`[^`]+`)/).forEach((bit) => {
        if (bit.startsWith("`") && bit.endsWith("`") && bit.length > 1) {
          const code = document.createElement("code");
          code.textContent = bit.slice(1, -1);
          p.append(code);
        } else p.append(bit);
      });
      into.append(p);
    }
  });
}
