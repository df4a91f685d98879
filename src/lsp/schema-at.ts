import type * as A from "../syntax/ast.js";
import { BLOCKS, CTORS_BY_DECL, LOSS_CTORS, DEBIAS_CTORS, TASK_TYPES, type CtorSchema, type OptionSchema } from "../validation/schema.js";
import { contains } from "./analysis.js";

/** What the schema says about the word under the cursor, when it is a constructor, option or enumerated value. */
export type SchemaHit =
  | { kind: "ctor"; name: string; schema: CtorSchema; range: A.Range }
  | { kind: "option"; name: string; owner: string; schema: OptionSchema; range: A.Range }
  | { kind: "value"; word: string; option: string; schema: OptionSchema; range: A.Range }
  | { kind: "taskType"; word: string; range: A.Range };

export function schemaAt(ast: A.SpecFile, offset: number): SchemaHit | undefined {
  const decl = declAt(ast.decls, offset);
  if (!decl) return undefined;
  switch (decl.kind) {
    case "train":
    case "data":
      return inEntries(decl.entries, BLOCKS[decl.kind]!, decl.kind, offset);
    case "feature":
      return decl.ctor && inCall(decl.ctor, CTORS_BY_DECL.feature, offset);
    case "input":
    case "expert":
    case "tower":
    case "gate":
      return decl.expr && inCall(decl.expr, CTORS_BY_DECL[decl.kind], offset);
    case "task":
      if (decl.type && contains(decl.type.range, offset) && (TASK_TYPES as readonly string[]).includes(decl.type.text)) {
        return { kind: "taskType", word: decl.type.text, range: decl.type.range };
      }
      return (decl.loss && inCtorValue(decl.loss, LOSS_CTORS, offset)) || (decl.debias && inCtorValue(decl.debias, DEBIAS_CTORS, offset));
    default:
      return undefined;
  }
}

/** The declaration whose range holds the offset (binary search: declarations are in source order). */
export function declAt(decls: readonly A.Decl[], offset: number): A.Decl | undefined {
  let lo = 0;
  let hi = decls.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const d = decls[mid]!;
    if (offset < d.range.start.offset) hi = mid - 1;
    else if (offset > d.range.end.offset) lo = mid + 1;
    else return d;
  }
  return undefined;
}

function inCtorValue(value: A.Value, ctors: Readonly<Record<string, CtorSchema>>, offset: number): SchemaHit | undefined {
  if (value.kind === "call") return inCall(value, ctors, offset);
  if (value.kind === "name" && contains(value.range, offset)) {
    const schema = ctors[value.name.text];
    return schema && { kind: "ctor", name: value.name.text, schema, range: value.range };
  }
  return undefined;
}

function inCall(call: A.CallValue, ctors: Readonly<Record<string, CtorSchema>>, offset: number): SchemaHit | undefined {
  if (!contains(call.range, offset)) return undefined;
  const schema = ctors[call.callee.text];
  if (!schema) return undefined;
  if (contains(call.callee.range, offset)) return { kind: "ctor", name: call.callee.text, schema, range: call.callee.range };
  return inEntries(call.options, schema, call.callee.text, offset);
}

function inEntries(entries: readonly A.OptionEntry[], schema: CtorSchema, owner: string, offset: number): SchemaHit | undefined {
  for (const entry of entries) {
    const option = schema.options[entry.name.text];
    if (!option) continue;
    if (contains(entry.name.range, offset)) return { kind: "option", name: entry.name.text, owner, schema: option, range: entry.name.range };
    if (!contains(entry.value.range, offset)) continue;
    const type = option.type;
    if (type.t === "ctor") return inCtorValue(entry.value, type.ctors, offset);
    if (type.t === "enum" && entry.value.kind === "name") return { kind: "value", word: entry.value.name.text, option: entry.name.text, schema: option, range: entry.value.range };
  }
  return undefined;
}
