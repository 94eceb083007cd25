// The safetensors format (huggingface/safetensors), so Python's `safetensors` and PyTorch
// read our weights: an 8-byte little-endian header length N, N bytes of JSON header
// (padded with spaces to a multiple of 8), then the raw little-endian tensor data. The
// header maps each tensor name to {dtype: 'F32' | 'I32', shape, data_offsets: [begin,
// end]} (offsets into the data section) and may hold `__metadata__`, a string → string map.

import { type DType, type TypedArray } from '../dtype.js';
import { TensorLoopError, shapeString } from '../errors.js';

export interface SafetensorsEntry {
  dtype: DType;
  shape: readonly number[];
  data: TypedArray;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

const DTYPE_CODES: Record<DType, string> = { float32: 'F32', int32: 'I32' };
const CODE_DTYPES: Record<string, DType> = { F32: 'float32', I32: 'int32' };
const MAX_HEADER_BYTES = 100_000_000; // the limit the reference implementation enforces

/** Encodes tensors (in the given order) and metadata into one buffer. */
export function encodeSafetensors(tensors: readonly [string, SafetensorsEntry][], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  if (!Array.isArray(tensors)) throw new TensorLoopError('safetensors: expected a list of [name, {dtype, shape, data}] pairs');
  let offset = 0;
  for (const pair of tensors) {
    const [name, entry] = (Array.isArray(pair) ? pair : []) as Partial<[string, SafetensorsEntry]>;
    if (typeof name !== 'string' || !entry || !Array.isArray(entry.shape) || !(entry.data instanceof Float32Array || entry.data instanceof Int32Array)) {
      throw new TensorLoopError(`safetensors: expected [name, {dtype, shape, data: Float32Array | Int32Array}], got an entry ${JSON.stringify(name ?? pair)}`);
    }
    const { dtype, shape, data } = entry;
    if (name === '__metadata__' || name in header) throw new TensorLoopError(`safetensors: duplicate or reserved tensor name '${name}'`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new TensorLoopError(`safetensors: tensor '${name}' has ${data.length} values for shape ${shapeString(shape)}`);
    if ((data instanceof Int32Array ? 'int32' : 'float32') !== dtype) throw new TensorLoopError(`safetensors: tensor '${name}' is ${dtype} but its data is not`);
    header[name] = { dtype: DTYPE_CODES[dtype], shape: [...shape], data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  const pad = (8 - (encoder.encode(json).length % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = encoder.encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [, { data }] of tensors) {
    writeLittleEndian(data, out, at);
    at += data.byteLength;
  }
  return out;
}

/** Decodes a safetensors buffer, checking every offset; errors name the tensor. */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) throw new TensorLoopError(`${source}: expected the file's bytes as a Uint8Array`);
  if (bytes.length < 8) throw new TensorLoopError(`${source}: file is truncated (${bytes.length} bytes, no header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.length) {
    throw new TensorLoopError(`${source}: header of ${headerLength} bytes does not fit in a file of ${bytes.length} bytes (truncated or not safetensors)`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (error) {
    throw new TensorLoopError(`${source}: header is not valid JSON (${(error as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new TensorLoopError(`${source}: header is not a JSON object`);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, SafetensorsEntry>();
  const spans: { name: string; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = checkMetadata(source, value);
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (info === null || typeof info !== 'object' || Array.isArray(info)) throw new TensorLoopError(`${source}: tensor '${name}' has no {dtype, shape, data_offsets} entry in the header`);
    const dtype = CODE_DTYPES[String(info.dtype)];
    if (!dtype) throw new TensorLoopError(`${source}: tensor '${name}' has dtype ${String(info.dtype)}; only F32 and I32 are supported`);
    const shape = info.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new TensorLoopError(`${source}: tensor '${name}' has a bad shape ${JSON.stringify(shape)}`);
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new TensorLoopError(`${source}: tensor '${name}' has bad data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== size * 4) {
      throw new TensorLoopError(`${source}: tensor '${name}' ${shapeString(shape as number[])} needs ${size * 4} bytes, data_offsets give ${end - begin}`);
    }
    if (end > dataLength) {
      throw new TensorLoopError(`${source}: tensor '${name}' ends at byte ${end} of the data but the file holds ${dataLength} (truncated)`);
    }
    spans.push({ name, begin, end });
  }
  checkLayout(source, spans, dataLength);
  for (const { name, begin, end } of spans) {
    const info = header[name] as { dtype: string; shape: number[] };
    const dtype = CODE_DTYPES[info.dtype]!;
    tensors.set(name, { dtype, shape: info.shape, data: readLittleEndian(bytes.subarray(dataStart + begin, dataStart + end), dtype) });
  }
  return { tensors, metadata };
}

/** `__metadata__` must map strings to strings. */
function checkMetadata(source: string, value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TensorLoopError(`${source}: __metadata__ is not a JSON object`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new TensorLoopError(`${source}: __metadata__ '${key}' is ${JSON.stringify(v)}, not a string`);
  }
  return value as Record<string, string>;
}

/** The tensors' byte ranges must tile the data section exactly, as the reference
 * implementation requires: in offset order, each begins where the previous ended (no
 * overlap, no gap), and the last ends where the file does (no trailing bytes). */
function checkLayout(source: string, spans: readonly { name: string; begin: number; end: number }[], dataLength: number): void {
  const sorted = [...spans].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous = 'the start of the data';
  for (const { name, begin, end } of sorted) {
    if (begin < at) throw new TensorLoopError(`${source}: tensor '${name}' (bytes ${begin}-${end}) overlaps ${previous}`);
    if (begin > at) throw new TensorLoopError(`${source}: ${begin - at} bytes of the data between ${previous} and tensor '${name}' belong to no tensor`);
    at = end;
    previous = `tensor '${name}'`;
  }
  if (at !== dataLength) throw new TensorLoopError(`${source}: ${dataLength - at} bytes after ${previous} belong to no tensor (a corrupt or foreign file)`);
}

/** True on every platform Node runs on in practice; the DataView paths are the fallback. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function writeLittleEndian(data: TypedArray, out: Uint8Array, at: number): void {
  if (HOST_IS_LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at); // bit-exact, NaN payloads included
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + at, data.byteLength);
  if (data instanceof Int32Array) for (let i = 0; i < data.length; i++) view.setInt32(4 * i, data[i]!, true);
  else for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i]!, true);
}

function readLittleEndian(bytes: Uint8Array, dtype: DType): TypedArray {
  const n = bytes.byteLength / 4;
  if (HOST_IS_LITTLE_ENDIAN) {
    const copy = new Uint8Array(bytes).buffer; // an aligned copy (Buffer.slice would share memory)
    return dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'int32') {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
    return out;
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}
