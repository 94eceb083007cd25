// A minimal protocol-buffers wire-format writer and reader: just enough to encode and
// decode TensorBoard's Event and Summary messages by hand (no .proto compiler). Fields
// are written in the order the caller adds them; proto3 leaves zero values out, so the
// callers skip them. https://protobuf.dev/programming-guides/encoding/

import { TensorLoopError } from '../errors.js';

export const WireType = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

/** Appends fields to a growing byte buffer. */
export class ProtoWriter {
  private bytes: number[] = [];

  /** A tag: field number and wire type in one varint. */
  private key(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      this.bytes.push(byte);
    } while (v !== 0n);
  }

  /** int64 / uint64 / int32 / bool as a varint (negative numbers take ten bytes). */
  int(field: number, value: number | bigint): this {
    this.key(field, WireType.varint);
    this.varint(value);
    return this;
  }

  double(field: number, value: number): this {
    this.key(field, WireType.fixed64);
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, value, true);
    this.bytes.push(...new Uint8Array(view.buffer));
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, WireType.fixed32);
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value, true);
    this.bytes.push(...new Uint8Array(view.buffer));
    return this;
  }

  bytesField(field: number, value: Uint8Array): this {
    this.key(field, WireType.lengthDelimited);
    this.varint(value.length);
    for (const b of value) this.bytes.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  /** An embedded message, written by `fill` into its own writer. */
  message(field: number, fill: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    fill(inner);
    return this.bytesField(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** One decoded field: a varint as bigint, fixed32/fixed64 as their raw bytes' DataView,
 * length-delimited as bytes. */
export interface ProtoField {
  field: number;
  wireType: number;
  varint?: bigint;
  fixed?: DataView;
  bytes?: Uint8Array;
}

/** Splits a message into its fields, in wire order. Throws on truncated input. */
export function readFields(message: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (pos >= message.length) throw new TensorLoopError(`protobuf: truncated varint at byte ${pos} of ${message.length}`);
      const byte = message[pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      if (shift > 63n) throw new TensorLoopError(`protobuf: varint longer than 10 bytes at byte ${pos}`);
    }
  };
  const take = (n: number): Uint8Array => {
    if (pos + n > message.length) throw new TensorLoopError(`protobuf: field needs ${n} bytes at byte ${pos}, only ${message.length - pos} left`);
    const slice = message.subarray(pos, pos + n);
    pos += n;
    return slice;
  };
  while (pos < message.length) {
    const key = Number(readVarint());
    const field = key >>> 3;
    const wireType = key & 7;
    if (wireType === WireType.varint) out.push({ field, wireType, varint: readVarint() });
    else if (wireType === WireType.fixed64 || wireType === WireType.fixed32) {
      const raw = take(wireType === WireType.fixed64 ? 8 : 4);
      out.push({ field, wireType, fixed: new DataView(raw.buffer, raw.byteOffset, raw.byteLength) });
    } else if (wireType === WireType.lengthDelimited) out.push({ field, wireType, bytes: take(Number(readVarint())) });
    else throw new TensorLoopError(`protobuf: unsupported wire type ${wireType} for field ${field}`);
  }
  return out;
}
