import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import { LineIndex } from "./range.js";

export interface DecodedSource {
  text: string;
  /** True when invalid bytes were replaced by U+FFFD and already reported. */
  hadInvalidBytes: boolean;
  diagnostics: Diagnostic[];
}

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const lenient = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false });

/** Spec files must be UTF-8; anything else is reported once, at the first bad byte, and lexing goes on. */
export function decodeSource(bytes: Uint8Array, file: string): DecodedSource {
  try {
    return { text: strict.decode(bytes), hadInvalidBytes: false, diagnostics: [] };
  } catch {
    const text = lenient.decode(bytes);
    const first = text.indexOf("\uFFFD");
    let count = 0;
    for (let i = first; i !== -1; i = text.indexOf("\uFFFD", i + 1)) count++;
    const at = Math.max(first, 0);
    const range = new LineIndex(text).range(at, at + 1);
    return { text, hadInvalidBytes: true, diagnostics: [diagnostic("MTL1004", file, range, count)] };
  }
}
