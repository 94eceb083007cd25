// The CPU device: storage is a TypedArray. It is the reference every WebGPU kernel is
// tested against, and the fallback when no GPU adapter exists.
//
// Where there is a WebAssembly heap (wasm/heap.ts), a storage of at least HEAP_MIN_BYTES
// is a view into it, so the WebAssembly kernels read and write it in place; `address` is
// its byte address there (-1 for a plain array). To everything else it is an ordinary
// Float32Array or Int32Array. Reads hand out copies, so no view of a heap block outlives
// the block's tensor outside the library.

import { type DType, type TypedArray, typedArrayFor } from '../dtype.js';
import type { Device, DeviceMemory, Storage } from './device.js';
import { type WasmHeap, wasmHeap } from './wasm/heap.js';

/** Smaller tensors stay plain arrays: kernels run their TypeScript loops on them anyway. */
const HEAP_MIN_BYTES = 4096;

export class CpuStorage implements Storage {
  refCount = 1;
  constructor(
    readonly data: TypedArray,
    /** Byte address of `data` in the WebAssembly heap, or -1. */
    readonly address = -1,
  ) {}
  get byteLength(): number {
    return this.data.byteLength;
  }
}

export class CpuDevice implements Device {
  readonly kind = 'cpu' as const;
  readonly name = 'cpu';
  private live = { buffers: 0, bytes: 0 };
  private heap: WasmHeap | null | undefined;

  upload(data: TypedArray): CpuStorage {
    const storage = this.inHeap(data instanceof Int32Array ? 'int32' : 'float32', data.length);
    if (!storage) return this.track(new CpuStorage(data.slice()));
    storage.data.set(data);
    return storage;
  }

  allocate(dtype: DType, size: number): CpuStorage {
    const storage = this.inHeap(dtype, size);
    if (!storage) return this.track(new CpuStorage(typedArrayFor(dtype, size)));
    storage.data.fill(0);
    return storage;
  }

  /** Like allocate, but the elements are left as they are: for kernels that write every one. */
  allocateUninitialized(dtype: DType, size: number): CpuStorage {
    return this.inHeap(dtype, size) ?? this.track(new CpuStorage(typedArrayFor(dtype, size)));
  }

  /** Wraps an array the caller hands over (no copy): how CPU kernels return results. */
  adopt(data: TypedArray): CpuStorage {
    return this.track(new CpuStorage(data));
  }

  async read(storage: Storage, dtype: DType, size: number): Promise<TypedArray> {
    const copy = typedArrayFor(dtype, size); // (set, not slice: slicing a shared buffer is slow)
    copy.set((storage as CpuStorage).data.subarray(0, size));
    return copy;
  }

  release(storage: Storage): void {
    this.live.buffers -= 1;
    this.live.bytes -= storage.byteLength;
    const { address } = storage as CpuStorage;
    if (address >= 0) this.heap!.release(address);
  }

  /** CPU ops check their data before they compute: nothing is ever deferred. */
  async checkDeferredErrors(): Promise<void> {}

  memory(): DeviceMemory {
    return { ...this.live };
  }

  dispose(): void {}

  toString(): string {
    return this.name;
  }

  /** A storage in the heap, or null (no heap, too small, or the heap is full). */
  private inHeap(dtype: DType, size: number): CpuStorage | null {
    if (4 * size < HEAP_MIN_BYTES) return null;
    this.heap ??= wasmHeap();
    const address = this.heap ? this.heap.allocate(4 * size) : -1;
    if (address < 0) return null;
    const buffer = this.heap!.memory.buffer;
    const data = dtype === 'int32' ? new Int32Array(buffer, address, size) : new Float32Array(buffer, address, size);
    return this.track(new CpuStorage(data, address));
  }

  private track(storage: CpuStorage): CpuStorage {
    this.live.buffers += 1;
    this.live.bytes += storage.byteLength;
    return storage;
  }
}

export const cpu = new CpuDevice();
