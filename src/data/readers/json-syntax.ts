/** Where a JSON text goes wrong: a 0-based UTF-16 offset and a plain-English reason. */
export interface JsonSyntaxProblem {
  offset: number;
  reason: string;
}

const OBJECT = 1;
const ARRAY = 2;

type State = "value" | "valueOrClose" | "key" | "keyOrClose" | "colon" | "after";

/** A JSON number literal, matched sticky at `lastIndex`. */
export const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Finds the first syntax error in `text`, or returns null if it is valid JSON.
 *
 * Only run after JSON.parse has failed: V8's messages give no position for
 * some errors and quote the whole input in others, which is useless for a
 * long line. The scanner keeps its own stack, so deep nesting cannot
 * overflow the call stack.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | null {
  const n = text.length;
  const stack: number[] = [];
  let state: State = "value";
  let i = 0;
  const fail = (offset: number, reason: string): JsonSyntaxProblem => ({ offset, reason });

  for (;;) {
    while (i < n && isBlank(text.charCodeAt(i))) i++;
    if (i >= n) {
      if (state === "after" && stack.length === 0) return null;
      const top = stack[stack.length - 1];
      if (top === undefined) return fail(n, "the line ends where a value was expected");
      return fail(n, `the line ends before the ${top === OBJECT ? "object" : "array"} is closed`);
    }
    const c = text[i]!;
    switch (state) {
      case "value":
      case "valueOrClose": {
        if (state === "valueOrClose" && c === "]") {
          stack.pop();
          i++;
          state = "after";
        } else if (c === "{") {
          stack.push(OBJECT);
          i++;
          state = "keyOrClose";
        } else if (c === "[") {
          stack.push(ARRAY);
          i++;
          state = "valueOrClose";
        } else if (c === '"') {
          const end = scanString(text, i);
          if (typeof end !== "number") return end;
          i = end;
          state = "after";
        } else if (c === "-" || (c >= "0" && c <= "9")) {
          const end = scanNumber(text, i);
          if (typeof end !== "number") return end;
          i = end;
          state = "after";
        } else if (text.startsWith("true", i) || text.startsWith("null", i)) {
          i += 4;
          state = "after";
        } else if (text.startsWith("false", i)) {
          i += 5;
          state = "after";
        } else if (text.startsWith("NaN", i) || text.startsWith("Infinity", i)) {
          return fail(i, "NaN and Infinity are not valid JSON (write null for a missing number)");
        } else if (c === "'") {
          return fail(i, "strings must be in double quotes, not single quotes");
        } else if (c === "]" || c === "}" || c === ",") {
          const trailingComma = c !== "," && previousNonBlank(text, i) === ",";
          return fail(i, `expected a value, found '${c}'${trailingComma ? " (remove the trailing comma)" : ""}`);
        } else {
          return fail(i, `expected a value (a string, number, true, false, null, object or array), found ${showChar(text, i)}`);
        }
        break;
      }
      case "key":
      case "keyOrClose": {
        if (state === "keyOrClose" && c === "}") {
          stack.pop();
          i++;
          state = "after";
        } else if (c === '"') {
          const end = scanString(text, i);
          if (typeof end !== "number") return end;
          i = end;
          state = "colon";
        } else if (c === "}") {
          return fail(i, "expected a property name after the comma (remove the trailing comma)");
        } else {
          return fail(i, `expected a property name in double quotes, found ${showChar(text, i)}`);
        }
        break;
      }
      case "colon": {
        if (c !== ":") return fail(i, `expected ':' after the property name, found ${showChar(text, i)}`);
        i++;
        state = "value";
        break;
      }
      case "after": {
        const top = stack[stack.length - 1];
        if (top === undefined) return fail(i, `unexpected ${showChar(text, i)} after the end of the JSON value`);
        const close = top === OBJECT ? "}" : "]";
        if (c === ",") {
          i++;
          state = top === OBJECT ? "key" : "value";
        } else if (c === close) {
          stack.pop();
          i++;
        } else {
          return fail(i, `expected ',' or '${close}', found ${showChar(text, i)}`);
        }
        break;
      }
    }
  }
}

/**
 * Where and why a multi-line JSON text (a saved state, a manifest) is not
 * valid JSON, as "line 3, column 7: <reason>", for messages that must stay
 * one line (V8's own quote the text, line breaks included). Only call it
 * after JSON.parse has failed.
 */
/** JSON.parse, whose SyntaxError says where in one line (V8's may quote the text, line breaks and all). */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) throw new SyntaxError(`not valid JSON (${jsonSyntaxPlace(text)})`);
    throw error;
  }
}

export function jsonSyntaxPlace(text: string): string {
  const problem = findJsonSyntaxError(text);
  if (problem === null) return "it cannot be parsed";
  const lineStart = text.lastIndexOf("\n", problem.offset - 1) + 1;
  const line = text.slice(0, lineStart).split("\n").length;
  return `line ${line}, column ${columnOf(text.slice(lineStart), problem.offset - lineStart)}: ${problem.reason}`;
}

/** 1-based column of a UTF-16 offset, counted in characters so a non-BMP character counts once. */
export function columnOf(text: string, offset: number): number {
  let column = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < offset) i++;
    column++;
  }
  return column;
}

/** The offset after the string that opens at `start`, or what is wrong with it. */
export function scanString(text: string, start: number): number | JsonSyntaxProblem {
  const n = text.length;
  let i = start + 1;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      const e = text[i + 1];
      if (e === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return { offset: i, reason: "a \\u escape needs four hex digits" };
        i += 6;
      } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
        i += 2;
      } else {
        return { offset: i, reason: `invalid escape '\\${e ?? ""}' in a string` };
      }
      continue;
    }
    if (c < 0x20) return { offset: i, reason: "a control character (tab or line break) inside a string must be escaped, e.g. \\t or \\n" };
    i++;
  }
  return { offset: start, reason: "the string that starts here is never closed" };
}

function scanNumber(text: string, start: number): number | JsonSyntaxProblem {
  NUMBER.lastIndex = start;
  const m = NUMBER.exec(text);
  if (!m) return { offset: start, reason: `invalid number starting with ${showChar(text, start)}` };
  const end = start + m[0].length;
  const next = text.charCodeAt(end);
  if ((m[0] === "0" || m[0] === "-0") && next >= 0x30 && next <= 0x39) {
    return { offset: start, reason: "numbers may not have leading zeros" };
  }
  if (next === 0x2e || next === 0x65 || next === 0x45) return { offset: end, reason: "invalid number: a digit must follow '.' or the exponent" };
  return end;
}

function previousNonBlank(text: string, i: number): string | undefined {
  let j = i - 1;
  while (j >= 0 && isBlank(text.charCodeAt(j))) j--;
  return text[j];
}

export function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function showChar(text: string, i: number): string {
  const cp = text.codePointAt(i)!;
  if (cp < 0x20 || cp === 0x7f) return `character U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  return `'${String.fromCodePoint(cp)}'`;
}
