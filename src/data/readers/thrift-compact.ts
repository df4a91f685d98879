/**
 * A bounded reader of Thrift's compact protocol, for Parquet page headers.
 * hyparquet parses them without limits (a damaged count drives a decoding
 * loop for minutes), so the Parquet reader checks each header with this
 * first. Every length and count is checked against the bytes at hand, so a
 * damaged header fails fast with a CompactError instead.
 */

/** A struct's fields by field id. */
export type ThriftStruct = Map<number, ThriftValue>;
export type ThriftValue = boolean | number | bigint | Uint8Array | ThriftStruct | ThriftValue[];

/** Why the bytes are not a Thrift struct; `offset` is relative to the start of the bytes; `truncated`: they ran out. */
export class CompactError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly truncated = false,
  ) {
    super(message);
  }
}

const enum Type {
  Stop = 0,
  True = 1,
  False = 2,
  Byte = 3,
  I16 = 4,
  I32 = 5,
  I64 = 6,
  Double = 7,
  Binary = 8,
  List = 9,
  Set = 10,
  Struct = 12,
}

/** Deeper than any Parquet header nests; stops a run of struct markers from recursing without end. */
const MAX_DEPTH = 16;

/** Reads one struct from `bytes` at `offset`; `end` is the offset just after it. */
export function readCompactStruct(bytes: Uint8Array, offset = 0): { value: ThriftStruct; end: number } {
  const reader = new CompactReader(bytes, offset);
  const value = reader.struct(0);
  return { value, end: reader.offset };
}

class CompactReader {
  constructor(
    private readonly bytes: Uint8Array,
    public offset: number,
  ) {}

  struct(depth: number): ThriftStruct {
    if (depth > MAX_DEPTH) throw new CompactError("structs nest too deeply", this.offset);
    const fields: ThriftStruct = new Map();
    let id = 0;
    for (;;) {
      const byte = this.byte();
      const type = byte & 0x0f;
      if (type === Type.Stop) return fields;
      const delta = byte >> 4;
      id = delta !== 0 ? id + delta : this.zigzag32();
      fields.set(id, this.element(type, depth));
    }
  }

  private element(type: number, depth: number): ThriftValue {
    switch (type) {
      case Type.True:
        return true;
      case Type.False:
        return false;
      case Type.Byte:
        return (this.byte() << 24) >> 24;
      case Type.I16:
      case Type.I32:
        return this.zigzag32();
      case Type.I64:
        return this.zigzag64();
      case Type.Double:
        this.need(8);
        this.offset += 8;
        return 0; // no Parquet page header field is a double
      case Type.Binary: {
        const length = this.varint(5);
        this.need(length);
        const value = this.bytes.subarray(this.offset, this.offset + length);
        this.offset += length;
        return value;
      }
      case Type.List:
      case Type.Set: {
        const head = this.byte();
        const elementType = head & 0x0f;
        const size = head >> 4 === 15 ? this.varint(5) : head >> 4;
        // Every element takes at least one byte, so a count beyond the bytes left is damage, not a large list.
        this.need(size);
        const values: ThriftValue[] = [];
        const inner = elementType === Type.True || elementType === Type.False ? Type.Byte : elementType;
        for (let i = 0; i < size; i++) values.push(this.element(inner, depth + 1));
        return values;
      }
      case Type.Struct:
        return this.struct(depth + 1);
      default:
        throw new CompactError(`unknown field type ${type}`, this.offset - 1);
    }
  }

  private byte(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  private need(count: number): void {
    if (count > this.bytes.length - this.offset) throw new CompactError("it ends before its last field", this.offset, true);
  }

  /** An unsigned varint of at most `maxBytes` bytes (5 for 32 bits), as a non-negative number. */
  private varint(maxBytes: number): number {
    let value = 0;
    for (let i = 0; i < maxBytes; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) throw new CompactError("a number is out of range", this.offset - 1);
        return value;
      }
    }
    throw new CompactError("a number is too long", this.offset);
  }

  private zigzag32(): number {
    const n = this.varint(5);
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  private zigzag64(): bigint {
    let value = 0n;
    for (let i = 0n; i < 10n; i++) {
      const byte = this.byte();
      value |= BigInt(byte & 0x7f) << (7n * i);
      if ((byte & 0x80) === 0) return (value >> 1n) ^ -(value & 1n);
    }
    throw new CompactError("a number is too long", this.offset);
  }
}
