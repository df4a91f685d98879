/**
 * Reading and rewriting a spec file: the one place that bounds what a spec
 * read may take, and that keeps a rewritten spec's mode, owner, byte-order
 * mark and line endings (`mtl fmt`, `mtl check --fix`).
 */
import { SpecReadError } from "./errors.js";
import { writeFileAtomic } from "./util/atomic-write.js";
import { OutputPathError } from "./util/output-path.js";
import { describeBytes, FileTooLargeError, readBoundedFile } from "./util/regular-file.js";


/**
 * The most a spec read takes: far above any real spec (the 2,000-declaration
 * benchmark spec is about 100 KB), so that `mtl check /dev/zero` or a huge
 * file given by mistake is refused rather than read until memory runs out.
 */
export const MAX_SPEC_BYTES = 8 << 20;

/** Reads a spec's bytes; a link is followed and a pipe (/dev/stdin, <(...)) read too, up to MAX_SPEC_BYTES. */
export function readSpecFile(path: string): Buffer {
  try {
    return readBoundedFile(path, MAX_SPEC_BYTES);
  } catch (error) {
    throw new SpecReadError(`cannot read '${path}': ${why(error)}`);
  }
}

/** How a spec's bytes are laid out, beyond its text: kept when it is rewritten. */
export interface SpecStyle {
  bom: boolean;
  crlf: boolean;
}

const BOM = "\uFEFF";

/** A BOM when the file starts with one; CRLF when its first line ends with one (as editors decide). */
export function specStyle(bytes: Uint8Array): SpecStyle {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const newline = bytes.indexOf(0x0a);
  return { bom, crlf: newline > 0 && bytes[newline - 1] === 0x0d };
}

/** specStyle of a text already decoded (an editor's buffer, which may keep the BOM as U+FEFF). */
export function textStyle(text: string): SpecStyle {
  const newline = text.indexOf("\n");
  return { bom: text.startsWith(BOM), crlf: newline > 0 && text[newline - 1] === "\r" };
}

/** `text` (decoded, so without a BOM) laid out in `style`. */
export function inStyle(text: string, style: SpecStyle): string {
  const lines = style.crlf ? text.replace(/\r?\n/g, "\r\n") : text;
  return style.bom ? BOM + lines : lines;
}

/**
 * Replaces a spec's content atomically, through a symbolic link, keeping its
 * mode and owner (writeFileAtomic) and the BOM and line endings of `style`.
 */
export function rewriteSpecFile(path: string, text: string, style: SpecStyle): void {
  try {
    writeFileAtomic(path, inStyle(text, style));
  } catch (error) {
    throw new SpecReadError(`cannot write '${path}': ${why(error)}`);
  }
}

function why(error: unknown): string {
  if (error instanceof FileTooLargeError) return `it is larger than ${describeBytes(error.limit)}, the most a spec may have`;
  if (error instanceof OutputPathError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "it is a directory";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOSPC") return "the disk is full";
  return (error as Error).message;
}
