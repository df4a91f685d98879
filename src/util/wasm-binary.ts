/**
 * The pieces of WebAssembly's binary format (https://webassembly.github.io/spec/core/binary/)
 * that mtl's small hand-assembled modules need: LEB128 numbers, vectors,
 * names and sections. The modules are assembled in TypeScript, not shipped
 * as .wasm files, because a file would need a loader in Node and another in
 * the playground's bundle.
 */

/** The magic number and version every module starts with. */
export const WASM_HEADER: readonly number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A memory page, in bytes. */
export const WASM_PAGE = 65_536;

/** Unsigned LEB128: sizes, counts, indices and memory offsets (below 2^32). */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128: the constants of i32.const and i64.const (a bigint for 64-bit ones). */
export function sleb(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A vector: its length, then its items' bytes. */
export function vec(items: readonly (readonly number[])[]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** A section: its id, its size, its content. */
export function section(id: number, content: readonly number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

/** A name: its UTF-8 bytes as a vector. */
export function name(text: string): number[] {
  return vec([...new TextEncoder().encode(text)].map((b) => [b]));
}

/** The part of the WebAssembly API used here (the project's TypeScript libraries declare none of it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Adds `pages` pages; detaches every view of the old buffer. */
  grow(pages: number): number;
}

export interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: Record<string, unknown> };
}

/** The runtime's WebAssembly, or undefined where there is none. */
export function webAssembly(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}
