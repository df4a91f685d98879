/**
 * Identifiers of the generated module. Spec names are already identifiers
 * (`[A-Za-z_][A-Za-z0-9_]*`) and are kept verbatim where they name a local
 * variable, unless they would collide with a JavaScript reserved word, a
 * helper of the generated module or an earlier local: then `_2`, `_3`, ...
 * is appended. Allocation order is the IR's, so the result is deterministic.
 */

const RESERVED = new Set([
  // ECMAScript reserved words, strict-mode and TypeScript contextual ones that bite as locals.
  ..."break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await async of any as arguments eval undefined NaN Infinity type namespace declare module abstract".split(
    " ",
  ),
  // Globals and the generated module's own helpers.
  ..."tf Math Number String Array Object Error RangeError Map Float32Array Int32Array Uint8Array ArrayBuffer Promise".split(" "),
  ..."apply buildModel loadWeights predict encode toTensors ClampIds MaskedSequencePooling AitAttention".split(" "),
  ..."inputs outputs model layer values records encoding encoded n i".split(" "),
]);

export class Scope {
  private readonly taken: Set<string>;

  /** `reserved`: more names the module declares at the top level (embedded helpers). */
  constructor(reserved: readonly string[] = []) {
    this.taken = new Set([...RESERVED, ...reserved]);
  }

  /** A fresh identifier for `wanted` (made a valid identifier first). */
  claim(wanted: string): string {
    let base = wanted.replace(/[^A-Za-z0-9_$]/g, "_");
    if (!/^[A-Za-z_$]/.test(base)) base = `_${base}`;
    let name = base;
    for (let k = 2; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }
}

/** A property key: bare when it is an identifier, quoted otherwise. */
export function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

/** `obj.key` or `obj["key"]`. */
export function member(object: string, name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `${object}.${name}` : `${object}[${JSON.stringify(name)}]`;
}

/** A string literal. */
export function str(text: string): string {
  return JSON.stringify(text);
}

/** A number literal that reads back as exactly `value` (shortest round-trip form). */
export function num(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`cannot emit the non-finite number ${value}`);
  return Object.is(value, -0) ? "-0" : String(value);
}

/** A JSDoc block for `lines` (doc text may span lines); empty when there is nothing to say. */
export function docComment(...parts: (string | undefined)[]): string {
  const text = parts.filter((p): p is string => p !== undefined && p.trim() !== "").join("\n\n");
  if (text === "") return "";
  const lines = text.replace(/\*\//g, "*\\/").split("\n");
  if (lines.length === 1) return `/** ${lines[0]} */\n`;
  return `/**\n${lines.map((l) => (l === "" ? " *" : ` * ${l}`)).join("\n")}\n */\n`;
}
