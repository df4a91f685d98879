import { closest } from "../diagnostics/suggest.js";
import type * as A from "../syntax/ast.js";
import type { CheckContext } from "./context.js";
import type { CtorSchema, OptionSchema, ValueType } from "./schema.js";
import type { CheckedCallOf, OptionsOf, Ref, ValueOf } from "./option-types.js";

/** Values by option (or positional) name while checking; option-types.ts gives them their types. */
type Checked = Record<string, unknown>;

/** A nested constructor as checked, before option-types.ts gives it its table's type. */
interface NestedCtor {
  ctor: string;
  options: Checked;
}

/**
 * Checks a call against the constructors allowed at this place. Reports an
 * unknown constructor with a suggestion, and returns undefined.
 */
export function checkCall<C extends Readonly<Record<string, CtorSchema>>>(ctx: CheckContext, call: A.CallValue, ctors: C, where: string): CheckedCallOf<C> | undefined {
  const checked = checkAnyCall(ctx, call, ctors, where);
  // The one place untyped values get their types: each was checked against the schema the type is derived from.
  return checked as CheckedCallOf<C> | undefined;
}

function checkAnyCall(ctx: CheckContext, call: A.CallValue, ctors: Readonly<Record<string, CtorSchema>>, where: string): { ctor: string; schema: CtorSchema; args: Checked; options: Checked } | undefined {
  const schema = ctors[call.callee.text];
  if (!schema) {
    const names = Object.keys(ctors);
    const hint = closest(call.callee.text, names);
    ctx.suggest(ctx.report("MTL3001", call.callee.range, call.callee.text, where, names.join(", "), hint ? ` Did you mean '${hint}'?` : ""), call.callee, hint);
    return undefined;
  }
  return {
    ctor: call.callee.text,
    schema,
    args: checkPositional(ctx, call, schema),
    options: checkAnyOptions(ctx, call.options, schema, call.callee.text, call.range),
  };
}

function checkPositional(ctx: CheckContext, call: A.CallValue, schema: CtorSchema): Checked {
  const args: Checked = {};
  const specs = schema.positional;
  const variadic = specs.some((p) => p.variadic);
  const tooMany = !variadic && call.positional.length > specs.length;
  const tooFew = specs.some((p, i) => !p.variadic && call.positional[i] === undefined);
  if (tooMany || tooFew) ctx.report("MTL3008", tooMany ? call.positional[specs.length]!.range : call.range, call.callee.text, schema.usage);
  specs.forEach((spec, i) => {
    if (spec.variadic) {
      args[spec.name] = call.positional.slice(i).map((v) => checkAnyValue(ctx, v, spec.type, `An input of '${call.callee.text}'`));
    } else if (call.positional[i]) {
      args[spec.name] = checkAnyValue(ctx, call.positional[i]!, spec.type, `The ${spec.name} of '${call.callee.text}'`);
    }
  });
  return args;
}

/** Options of a call or entries of a block: unknown, repeated, missing, conflicting, and each value. */
export function checkOptions<S extends CtorSchema>(ctx: CheckContext, entries: readonly A.OptionEntry[], schema: S, owner: string, ownerRange: A.Range): OptionsOf<S> {
  return checkAnyOptions(ctx, entries, schema, owner, ownerRange) as OptionsOf<S>; // typed as in checkCall
}

function checkAnyOptions(ctx: CheckContext, entries: readonly A.OptionEntry[], schema: CtorSchema, owner: string, ownerRange: A.Range): Checked {
  const out: Checked = {};
  const given = new Set<string>();
  for (const entry of entries) {
    const name = entry.name.text;
    const option: OptionSchema | undefined = schema.options[name];
    if (!option) {
      const names = Object.keys(schema.options);
      const hint = closest(name, names);
      const list = names.length ? names.join(", ") : "none";
      ctx.suggest(ctx.report("MTL3002", entry.name.range, name, owner, list, hint ? ` Did you mean '${hint}'?` : ""), entry.name, hint);
      continue;
    }
    if (given.has(name)) {
      ctx.report("MTL3006", entry.name.range, name, "option");
      continue;
    }
    given.add(name);
    out[name] = checkAnyValue(ctx, entry.value, option.type, `'${name}'`);
  }
  for (const [a, b] of schema.oneOf ?? []) {
    if (given.has(a) && given.has(b)) {
      const second = entries.find((e) => e.name.text === b)!;
      ctx.report("MTL3007", second.name.range, a, b, owner);
    } else if (!given.has(a) && !given.has(b)) {
      ctx.report("MTL3010", ownerRange, a, b, owner, schema.usage);
    }
  }
  for (const [name, option] of Object.entries(schema.options)) {
    if (given.has(name)) continue;
    if (option.required) ctx.report("MTL3003", ownerRange, name, owner, schema.usage);
    else if (option.default !== undefined) out[name] = materialiseDefault(option);
  }
  return out;
}

/** A default like `optimizer: adam` stands for the constructor with its own defaults. */
function materialiseDefault(option: OptionSchema): unknown {
  if (option.type.t === "ctor" && typeof option.default === "string") {
    const schema = option.type.ctors[option.default]!;
    return { ctor: option.default, options: defaultsOf(schema) } satisfies NestedCtor;
  }
  const value = option.default;
  return Array.isArray(value) ? [...value] : value;
}

function defaultsOf(schema: CtorSchema): Checked {
  const out: Checked = {};
  for (const [name, option] of Object.entries(schema.options)) if (option.default !== undefined) out[name] = materialiseDefault(option);
  return out;
}

/** Checks one value against its type, reporting at the value's own range; undefined when it is wrong. */
export function checkValue<T extends ValueType>(ctx: CheckContext, value: A.Value, type: T, what: string): ValueOf<T> | undefined {
  return checkAnyValue(ctx, value, type, what) as ValueOf<T> | undefined; // typed as in checkCall
}

function checkAnyValue(ctx: CheckContext, value: A.Value, type: ValueType, what: string): unknown {
  switch (type.t) {
    case "int":
    case "number": {
      if (value.kind !== "number") return wrongType(ctx, value, what, type.t === "int" ? "an integer" : "a number");
      if (!Number.isFinite(value.value)) return undefined; // reported by the lexer
      if (type.t === "int" && !Number.isInteger(value.value)) return wrongType(ctx, value, what, "an integer");
      const rule = rangeRule(type);
      if (rule && !rule.ok(value.value)) {
        ctx.report("MTL3004", value.range, what, rule.text(), value.text);
        return undefined;
      }
      return value.value;
    }
    case "bool":
      if (value.kind === "name" && (value.name.text === "true" || value.name.text === "false")) return value.name.text === "true";
      return wrongType(ctx, value, what, "true or false");
    case "string":
      if (value.kind !== "string") return wrongType(ctx, value, what, 'a string in double quotes, like ","');
      if (type.length !== undefined && value.value.length !== type.length) {
        ctx.report("MTL3004", value.range, what, `exactly ${type.length} character${type.length === 1 ? "" : "s"} long`, JSON.stringify(value.value));
        return undefined;
      }
      return value.value;
    case "enum": {
      const word = value.kind === "name" ? value.name.text : value.kind === "string" ? value.value : undefined;
      if (word === undefined) return wrongType(ctx, value, what, `one of ${type.values.join(", ")}`);
      if (!type.values.includes(word)) {
        const hint = closest(word, type.values);
        const d = ctx.report("MTL3009", value.range, what.replace(/^'|'$/g, ""), word, type.values.join(", "), hint ? ` Did you mean '${hint}'?` : "");
        ctx.suggest(d, value.kind === "name" ? value.name : { text: word, range: value.range }, hint);
        return undefined;
      }
      return word;
    }
    case "ref": {
      if (type.star && value.kind === "star") return "*";
      if (value.kind !== "name") return wrongType(ctx, value, what, "a name");
      const sym = ctx.resolve(value.name, type.kinds, { single: true, featureGroups: type.groups === true });
      return { name: value.name, ...(sym && { sym }) } satisfies Ref;
    }
    case "column":
      if (value.kind === "name") return value.name;
      if (value.kind === "string") return { text: value.value, range: value.range } satisfies A.Name;
      return wrongType(ctx, value, what, "a column name");
    case "list": {
      if (value.kind !== "list") return wrongType(ctx, value, what, "a list in brackets, like [64, 32]");
      if (type.nonEmpty && value.items.length === 0) {
        ctx.report("MTL3004", value.range, what, "a non-empty list", "[]");
        return undefined;
      }
      const items = value.items.map((item) => checkAnyValue(ctx, item, type.of, `An item of ${inSentence(what)}`));
      if (type.unique) reportRepeats(ctx, value.items, items);
      return items.some((i) => i === undefined) ? undefined : items;
    }
    case "ctor": {
      if (value.kind === "name") {
        const schema = type.ctors[value.name.text];
        if (schema) return { ctor: value.name.text, options: checkAnyOptions(ctx, [], schema, value.name.text, value.range) } satisfies NestedCtor;
      }
      if (value.kind === "call") {
        const checked = checkAnyCall(ctx, value, type.ctors, type.what);
        if (!checked) return undefined;
        return { ctor: checked.ctor, options: checked.options } satisfies NestedCtor;
      }
      if (value.kind === "name") {
        const names = Object.keys(type.ctors);
        const hint = closest(value.name.text, names);
        ctx.suggest(ctx.report("MTL3001", value.range, value.name.text, type.what, names.join(", "), hint ? ` Did you mean '${hint}'?` : ""), value.name, hint);
        return undefined;
      }
      return wrongType(ctx, value, what, `a ${type.what} such as ${Object.keys(type.ctors)[0]}(...)`);
    }
  }
}

/** `what` is written to start a sentence ("The layers of 'mlp'"); inside one, its article is lower case. */
function inSentence(what: string): string {
  return what.replace(/^(The|An|A) /, (article) => article.toLowerCase());
}

function reportRepeats(ctx: CheckContext, nodes: readonly A.Value[], items: unknown[]): void {
  const seen = new Set<unknown>();
  items.forEach((item, i) => {
    if (item === undefined) return;
    if (seen.has(item)) ctx.report("MTL3004", nodes[i]!.range, "Every vocabulary entry", "unique", JSON.stringify(item));
    seen.add(item);
  });
}

/** The range check of a number type; `text` is built only when a value fails. */
function rangeRule(type: Extract<ValueType, { t: "int" | "number" }>): { ok: (v: number) => boolean; text: () => string } | undefined {
  const minEx = type.t === "number" && type.minExclusive;
  const maxEx = type.t === "number" && type.maxExclusive;
  const { min, max } = type;
  if (min === undefined && max === undefined) return undefined;
  const okMin = (v: number) => min === undefined || (minEx ? v > min : v >= min);
  const okMax = (v: number) => max === undefined || (maxEx ? v < max : v <= max);
  const text = () => {
    if (min !== undefined && max !== undefined) return `${minEx ? "greater than" : "at least"} ${min} and ${maxEx ? "less than" : "at most"} ${fmt(max)}`;
    if (min !== undefined) return minEx ? `greater than ${min}` : `at least ${min}`;
    return maxEx ? `less than ${fmt(max!)}` : `at most ${fmt(max!)}`;
  };
  return { ok: (v) => okMin(v) && okMax(v), text };
}

function fmt(n: number): string {
  return Number.isInteger(n) && n >= 10_000 ? n.toLocaleString("en-US").replace(/,/g, "_") : String(n);
}

function wrongType(ctx: CheckContext, value: A.Value, what: string, expected: string): undefined {
  ctx.report("MTL3005", value.range, what, expected, describeValue(value));
  return undefined;
}

export function describeValue(value: A.Value): string {
  switch (value.kind) {
    case "number":
      return `the number ${value.text}`;
    case "string":
      return `the string ${JSON.stringify(value.value.length > 30 ? value.value.slice(0, 30) + "..." : value.value)}`;
    case "name":
      return `the name '${value.name.text}'`;
    case "star":
      return "'*'";
    case "list":
      return "a list";
    case "call":
      return `a call of '${value.callee.text}'`;
  }
}
