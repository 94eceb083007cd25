// Tensor: an immutable n-dimensional array on a device, plus the creation functions.
// Ops are synchronous and return a new Tensor at once (on WebGPU they only enqueue
// work); reading values back is the one async step: `await t.data()`.

import { type DType, type TypedArray, isTypedArray, typedArrayFor } from './dtype.js';
import type { Device, Storage } from './device/device.js';
import { type CpuStorage, cpu } from './device/cpu.js';
import { TensorLoopError, describeValue, shapeString } from './errors.js';
import { trackTensor } from './memory.js';
import { Random, nextSeed } from './random.js';
import { checkOptions } from './options.js';

export type Shape = readonly number[];
export type NestedArray = number | NestedArray[];

let nextId = 0;
let currentDefaultDevice: Device = cpu;
const liveTensors = new Map<Device, number>();

/** Frees storage of tensors that were garbage-collected without dispose(). A safety net. */
const finalizer = new FinalizationRegistry<{ storage: Storage; device: Device }>(({ storage, device }) => {
  liveTensors.set(device, (liveTensors.get(device) ?? 1) - 1);
  releaseStorage(storage, device);
});

/** `: <why it was freed>` when the tensor's owner left a note, else ''. */
export function disposalNoteOf(t: Tensor): string {
  return t.disposalNote ? `: ${t.disposalNote}` : '';
}

function releaseStorage(storage: Storage, device: Device): void {
  storage.refCount -= 1;
  if (storage.refCount === 0) device.release(storage);
}

export class Tensor {
  readonly isTensor = true;
  readonly id = nextId++;
  readonly size: number;
  /** Set by keep(): never disposed by a closing scope. */
  kept = false;
  /** Why its owner freed it, when the owner says (the loop does for its lastStep* tensors):
   * appended to the "was disposed" error. */
  disposalNote: string | undefined;
  private disposedFlag = false;

  /** Use the creation functions; this wraps storage a kernel filled. */
  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    readonly device: Device,
    private storageRef: Storage,
  ) {
    this.size = sizeOf(shape);
    liveTensors.set(device, (liveTensors.get(device) ?? 0) + 1);
    finalizer.register(this, { storage: storageRef, device }, this);
    trackTensor(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.disposedFlag;
  }

  /** The device memory behind this tensor, for kernels. Throws if disposed. */
  get storage(): Storage {
    if (this.disposedFlag) throw new TensorLoopError(`tensor ${this.id} ${shapeString(this.shape)} was disposed${disposalNoteOf(this)}`);
    return this.storageRef;
  }

  /** A new tensor sharing this one's storage under another shape (reshape is free). */
  view(shape: Shape): Tensor {
    const storage = this.storage;
    storage.refCount += 1;
    return new Tensor(shape, this.dtype, this.device, storage);
  }

  /** Frees the tensor's memory now. Safe to call twice. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    finalizer.unregister(this);
    liveTensors.set(this.device, (liveTensors.get(this.device) ?? 1) - 1);
    releaseStorage(this.storageRef, this.device);
  }

  /** Makes this tensor hold `source`'s values (same shape and dtype) and disposes
   * `source`. Used by optimizers to update a parameter in place; tensors are otherwise
   * immutable. */
  assign(source: Tensor): void {
    if (source.device !== this.device || source.dtype !== this.dtype || shapeString(source.shape) !== shapeString(this.shape)) {
      throw new TensorLoopError(
        `assign: expected ${this.dtype} ${shapeString(this.shape)} on ${this.device.name}, ` +
          `got ${source.dtype} ${shapeString(source.shape)} on ${source.device.name}`,
      );
    }
    const incoming = source.storage;
    incoming.refCount += 1;
    const old = this.storage;
    this.storageRef = incoming;
    finalizer.unregister(this);
    finalizer.register(this, { storage: incoming, device: this.device }, this);
    releaseStorage(old, this.device);
    source.dispose();
  }

  /** A copy of the elements, in row-major order. */
  async data(): Promise<TypedArray> {
    return this.device.read(this.storage, this.dtype, this.size);
  }

  /** The elements as nested arrays (a number for a scalar). */
  async array(): Promise<NestedArray> {
    return nest(Array.from(await this.data()), this.shape);
  }

  /** The single element of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new TensorLoopError(`item: expected one element, got shape ${shapeString(this.shape)}`);
    return (await this.data())[0]!;
  }

  /** A copy on another device (the same tensor when it is already there). Synchronous
   * from the CPU; from a GPU the data must be read back first: use `await t.toAsync(device)`. */
  to(device: Device): Tensor {
    if (device === this.device) return this;
    if (this.device.kind !== 'cpu') {
      throw new TensorLoopError(`to: reading ${shapeString(this.shape)} back from ${this.device.name} is async; use await t.toAsync(device)`);
    }
    return new Tensor(this.shape, this.dtype, device, device.upload((this.storage as CpuStorage).data));
  }

  /** Moves data between devices through the host. */
  async toAsync(device: Device): Promise<Tensor> {
    if (device === this.device) return this;
    return fromData(await this.data(), this.shape, device);
  }

  toString(): string {
    return `Tensor(${shapeString(this.shape)}, ${this.dtype}, ${this.device.name})`;
  }
}

export interface CreationOptions {
  shape?: Shape;
  dtype?: DType;
  device?: Device;
}

/** The device creation functions use when none is given (the CPU until changed). */
export function defaultDevice(): Device {
  return currentDefaultDevice;
}

export function setDefaultDevice(device: Device): void {
  currentDefaultDevice = device;
}

/** Live tensors per device, for memory(). */
export function liveTensorCount(device: Device): number {
  return liveTensors.get(device) ?? 0;
}

export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Wraps a TypedArray (copied) as a tensor. */
export function fromData(data: TypedArray, shape: Shape, device: Device = currentDefaultDevice): Tensor {
  const dtype: DType = data instanceof Int32Array ? 'int32' : 'float32';
  return new Tensor([...shape], dtype, device, device.upload(data));
}

/** `tensor([[1, 2], [3, 4]])`, `tensor(new Float32Array(6), {shape: [2, 3]})`, `tensor(5)`. */
export function tensor(values: NestedArray | TypedArray | readonly number[], options: CreationOptions = {}): Tensor {
  checkOptions('tensor', options, ['shape', 'dtype', 'device']);
  if (!isTypedArray(values) && !Array.isArray(values) && typeof values !== 'number') {
    throw new TensorLoopError(`tensor: values must be a number, a (nested) array of numbers or a TypedArray, got ${describeValue(values)}`);
  }
  const inferred = isTypedArray(values) ? [values.length] : inferShape(values as NestedArray);
  const shape = options.shape ?? inferred;
  assertShape('tensor', shape);
  const flat: ArrayLike<number> = isTypedArray(values) ? values : flatten(values as NestedArray);
  if (sizeOf(shape) !== flat.length) {
    throw new TensorLoopError(`tensor: ${flat.length} values do not fill shape ${shapeString(shape)}`);
  }
  const dtype = options.dtype ?? (values instanceof Int32Array ? 'int32' : 'float32');
  const data = typedArrayFor(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) data[i] = flat[i]!;
  if (dtype === 'int32') {
    for (let i = 0; i < flat.length; i++) {
      if (data[i] !== flat[i]) throw new TensorLoopError(`tensor: int32 value expected, got ${flat[i]} at ${i}`);
    }
  }
  const device = options.device ?? currentDefaultDevice;
  return new Tensor([...shape], dtype, device, device.upload(data));
}

export function scalar(value: number, options: Omit<CreationOptions, 'shape'> = {}): Tensor {
  checkOptions('scalar', options, ['dtype', 'device']);
  return tensor([value], { ...options, shape: [] });
}

export function full(shape: Shape, value: number, options: Omit<CreationOptions, 'shape'> = {}): Tensor {
  checkShape('full', shape);
  checkOptions('full', options, ['dtype', 'device']);
  if (options.dtype === 'int32') checkInt32('full', value);
  const data = typedArrayFor(options.dtype ?? 'float32', sizeOf(shape));
  data.fill(value);
  return fromData(data, shape, options.device);
}

export function zeros(shape: Shape, options: Omit<CreationOptions, 'shape'> = {}): Tensor {
  checkShape('zeros', shape);
  checkOptions('zeros', options, ['dtype', 'device']);
  const device = options.device ?? currentDefaultDevice;
  const dtype = options.dtype ?? 'float32';
  return new Tensor([...shape], dtype, device, device.allocate(dtype, sizeOf(shape)));
}

export function ones(shape: Shape, options: Omit<CreationOptions, 'shape'> = {}): Tensor {
  checkShape('ones', shape);
  checkOptions('ones', options, ['dtype', 'device']);
  return full(shape, 1, options);
}

/** `arange(5)` → [0..4]; `arange(2, 10, 3)` → [2, 5, 8]. */
export function arange(start: number, stop?: number, step = 1, options: Omit<CreationOptions, 'shape'> = {}): Tensor {
  checkOptions('arange', options, ['dtype', 'device']);
  if (stop === undefined) [start, stop] = [0, start];
  for (const [what, v] of [['start', start], ['stop', stop], ['step', step]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TensorLoopError(`arange: ${what} must be a finite number, got ${describeValue(v)}`);
  }
  if (step === 0) throw new TensorLoopError('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  assertHostAllocatable('arange', [n]);
  if (options.dtype === 'int32') {
    checkInt32('arange', start, 'start');
    checkInt32('arange', step, 'step');
    if (n > 0) checkInt32('arange', start + (n - 1) * step, 'last value');
  }
  const data = typedArrayFor(options.dtype ?? 'float32', n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return fromData(data, [n], options.device);
}

export interface RandomOptions {
  seed?: number;
  device?: Device;
  /** randn: mean and standard deviation; randu: the interval [low, high). */
  mean?: number;
  std?: number;
  low?: number;
  high?: number;
}

/** Normal samples (mean 0, std 1 unless given); the same seed gives the same values on every device. */
export function randn(shape: Shape, options: RandomOptions = {}): Tensor {
  checkShape('randn', shape);
  checkOptions('randn', options, ['seed', 'device', 'mean', 'std']);
  const random = new Random(options.seed ?? nextSeed());
  const { mean = 0, std = 1 } = options;
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = mean + std * random.normal();
  return fromData(data, shape, options.device);
}

/** Uniform samples in [low, high) (default [0, 1)). */
export function randu(shape: Shape, options: RandomOptions = {}): Tensor {
  checkShape('randu', shape);
  checkOptions('randu', options, ['seed', 'device', 'low', 'high']);
  const random = new Random(options.seed ?? nextSeed());
  const { low = 0, high = 1 } = options;
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * random.next();
  return fromData(data, shape, options.device);
}

/** An int32 tensor holds exactly the integers in [−2³¹, 2³¹): anything else is an error, not
 * a silent wrap (as `tensor` does for its values). */
function checkInt32(op: string, value: number, what = 'value'): void {
  if ((value | 0) !== value) throw new TensorLoopError(`${op}: int32 ${what} expected, got ${value} (int32 holds the integers from -2147483648 to 2147483647)`);
}

function checkShape(op: string, shape: Shape): void {
  assertShape(op, shape);
  assertHostAllocatable(op, shape);
}

/** The one check of a shape argument (or any list of sizes, named by `what`): an array of
 * non-negative integers, with -1 allowed where `allowUnknown` (reshape's inferred axis).
 * Anything else (null, a string, a float) is a TensorLoopError naming `op` and the value. */
export function assertShape(op: string, shape: unknown, what = 'shape', allowUnknown = false): asserts shape is number[] {
  const low = allowUnknown ? -1 : 0;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < low)) {
    throw new TensorLoopError(`${op}: bad ${what} ${describeValue(shape)}: expected an array of ${allowUnknown ? 'integers >= -1' : 'non-negative integers'}`);
  }
}

/** The most elements a TypedArray may hold (V8's limit, 2³²; other engines allow no more):
 * a CPU tensor, or the host copy of any tensor being created, cannot be larger. */
const MAX_HOST_ELEMENTS = 2 ** 32;

/** Throws a TensorLoopError naming `op` and `shape` when no TypedArray can hold a tensor of
 * that shape, before anything is allocated (instead of the engine's RangeError after part
 * of the op's work). Ops call it for CPU outputs larger than their inputs. */
export function assertHostAllocatable(op: string, shape: Shape): void {
  const elements = sizeOf(shape);
  if (elements > MAX_HOST_ELEMENTS) {
    throw new TensorLoopError(
      `${op}: a tensor of shape ${shapeString(shape)} has ${elements} elements (${elements * 4} bytes), ` +
        `more than the ${MAX_HOST_ELEMENTS} one array in host memory can hold`,
    );
  }
}

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0] as NestedArray;
  }
  return shape;
}

function flatten(values: NestedArray): number[] {
  if (!Array.isArray(values)) return [values];
  const out: number[] = [];
  const shape = inferShape(values);
  const walk = (v: NestedArray, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new TensorLoopError(`tensor: ragged nested array, expected shape ${shapeString(shape)}`);
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new TensorLoopError(`tensor: ragged nested array, expected shape ${shapeString(shape)}`);
    }
    for (const x of v) walk(x, depth + 1);
  };
  walk(values, 0);
  return out;
}

function nest(flat: number[], shape: Shape): NestedArray {
  if (shape.length === 0) return flat[0]!;
  const [first, ...rest] = shape;
  const step = sizeOf(rest);
  const out: NestedArray[] = [];
  for (let i = 0; i < first!; i++) out.push(nest(flat.slice(i * step, (i + 1) * step), rest));
  return out;
}

export interface MemoryInfo {
  /** Live tensors on every device together. */
  tensors: number;
  /** Bytes held in device buffers on every device together. */
  bytes: number;
  /** Per device (keyed by device name; two devices of one name, such as two WebGPU devices
   * on one adapter, are counted together): live tensors, buffers and bytes. */
  devices: Record<string, { tensors: number; buffers: number; bytes: number }>;
}

/** Live tensors and bytes, per device and in total: the number to watch for leaks. */
export function memory(): MemoryInfo {
  const info: MemoryInfo = { tensors: 0, bytes: 0, devices: {} };
  for (const [device, tensors] of liveTensors) {
    const { buffers, bytes } = device.memory();
    const entry = (info.devices[device.name] ??= { tensors: 0, buffers: 0, bytes: 0 });
    entry.tensors += tensors;
    entry.buffers += buffers;
    entry.bytes += bytes;
    info.tensors += tensors;
    info.bytes += bytes;
  }
  return info;
}
