import { NUMBER, isBlank, scanString } from "./json-syntax.js";

/**
 * Beyond this magnitude a double no longer holds every integer, so
 * JSON.parse may have changed the digits (9007199254740993 reads as ...992)
 * or their spelling (1000000000000000000000 prints as 1e+21), and past about
 * 1.8e308 it gives Infinity.
 */
const EXACT_LIMIT = 2 ** 53;

/** Whether JSON.parse may have lost what a number value was written as. */
export function mayHaveLostDigits(v: unknown): boolean {
  return typeof v === "number" && !(Math.abs(v) < EXACT_LIMIT);
}

/**
 * The literal text of the numbers JSON.parse may have changed, in a line
 * already known to be a valid JSON object: per top-level key, the text of
 * its number value, or of its array's number items by index (the shapes
 * features read). The last of duplicated keys wins, as in JSON.parse.
 */
export function lostNumberTexts(text: string): Map<string, string | Map<number, string>> {
  const found = new Map<string, string | Map<number, string>>();
  let i = skipBlanks(text, text.indexOf("{") + 1);
  while (text[i] === '"') {
    const keyEnd = scanString(text, i) as number;
    const raw = text.slice(i + 1, keyEnd - 1);
    const key = raw.includes("\\") ? (JSON.parse(text.slice(i, keyEnd)) as string) : raw;
    i = skipBlanks(text, skipBlanks(text, keyEnd) + 1);
    found.delete(key);
    if (text[i] === "[") {
      const items = new Map<number, string>();
      i = skipBlanks(text, i + 1);
      for (let index = 0; text[i] !== "]"; index++) {
        i = lostNumber(text, i, (literal) => items.set(index, literal));
        i = skipBlanks(text, i);
        if (text[i] === ",") i = skipBlanks(text, i + 1);
      }
      i++;
      if (items.size > 0) found.set(key, items);
    } else {
      i = lostNumber(text, i, (literal) => found.set(key, literal));
    }
    i = skipBlanks(text, i);
    if (text[i] === ",") i = skipBlanks(text, i + 1);
  }
  return found;
}

/** Skips the value at `i`, passing its text to `keep` when it is a number JSON.parse may have changed. */
function lostNumber(text: string, i: number, keep: (literal: string) => void): number {
  const c = text.charCodeAt(i);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
    NUMBER.lastIndex = i;
    const literal = NUMBER.exec(text)![0];
    if (mayHaveLostDigits(Number(literal))) keep(literal);
    return i + literal.length;
  }
  return skipValue(text, i);
}

/** The offset after the (valid) JSON value at `i`. */
function skipValue(text: string, i: number): number {
  if (text[i] === '"') return scanString(text, i) as number;
  if (text[i] !== "{" && text[i] !== "[") {
    // true, false or null
    while (i < text.length && !",]} \t\r\n".includes(text[i]!)) i++;
    return i;
  }
  let depth = 0;
  do {
    const c = text[i];
    if (c === '"') {
      i = scanString(text, i) as number;
      continue;
    }
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    i++;
  } while (depth > 0);
  return i;
}

function skipBlanks(text: string, i: number): number {
  while (i < text.length && isBlank(text.charCodeAt(i))) i++;
  return i;
}
