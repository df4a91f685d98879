/**
 * Mutations of a binary file (a Parquet file, a model folder's file), shared
 * by the Parquet and model-folder mutation properties. Besides the usual
 * flips, overwrites, cuts and splices there is `count`: a varint of all ones
 * written over a few bytes, which is what turns a length or count field of a
 * Thrift header or a run-length header into billions (the issue #14 hang).
 */
import fc from "fast-check";

export type ByteMutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "invert"; at: number }
  | { kind: "set"; at: number; value: number }
  | { kind: "count"; at: number; length: number }
  | { kind: "truncate"; at: number }
  | { kind: "delete"; at: number; length: number }
  | { kind: "insert"; at: number; bytes: number[] }
  | { kind: "duplicate"; at: number; length: number };

const byte = fc.integer({ min: 0, max: 255 });

export const byteMutationArb: fc.Arbitrary<ByteMutation> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), weight: 4 },
  fc.record({ kind: fc.constant("invert" as const), at: fc.nat() }),
  { arbitrary: fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x15, 0x19, 0x1c) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: byte }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("count" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 5 }) }), weight: 2 },
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.array(byte, { minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
);

/** The mutations applied in order; positions wrap around the (current) length, so any case applies to any file. */
export function mutateBytes(original: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let bytes: Uint8Array = Uint8Array.from(original);
  for (const m of mutations) {
    const pos = bytes.length === 0 ? 0 : m.at % bytes.length;
    switch (m.kind) {
      case "flip":
        if (bytes.length) bytes[pos]! ^= 1 << m.bit;
        break;
      case "invert":
        if (bytes.length) bytes[pos]! ^= 0xff;
        break;
      case "set":
        if (bytes.length) bytes[pos] = m.value;
        break;
      case "count":
        for (let i = 0; i < m.length && pos + i < bytes.length; i++) bytes[pos + i] = i + 1 < m.length ? 0xff : 0x0f;
        break;
      case "truncate":
        bytes = bytes.slice(0, pos);
        break;
      case "delete":
        bytes = concat(bytes.subarray(0, pos), bytes.subarray(pos + m.length));
        break;
      case "insert":
        bytes = concat(bytes.subarray(0, pos), Uint8Array.from(m.bytes), bytes.subarray(pos));
        break;
      case "duplicate":
        bytes = concat(bytes.subarray(0, pos + m.length), bytes.subarray(pos));
        break;
    }
  }
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * Words a refusal must not contain: JavaScript and decoder internals that
 * mean an exception escaped unexplained ("Cannot read properties of
 * undefined (reading 'map')", "thrift unhandled type: 14").
 */
export const INTERNALS = /undefined|Cannot read|is not a function|is not iterable|TypeError|RangeError|thrift|\bparquet [a-z]+ |Maximum call stack|out of bounds|Invalid (array|typed array) length/;
