// The device interface: the narrow waist between tensors and hardware. A device knows
// buffers (allocate, upload, read, release), not ops: each op's kernels live in
// src/kernels and reach the device's storage directly (a TypedArray on the CPU, a
// GPUBuffer on WebGPU).

import type { DType, TypedArray } from '../dtype.js';

export type DeviceKind = 'cpu' | 'webgpu';

/** Device memory holding one tensor's elements. Several tensors may share one storage
 * (reshape is free), so it is reference counted and released when the last one goes. */
export interface Storage {
  readonly byteLength: number;
  refCount: number;
}

export interface DeviceMemory {
  buffers: number;
  bytes: number;
}

export interface Device {
  readonly kind: DeviceKind;
  /** Human-readable: `cpu`, or the adapter, e.g. `webgpu (llvmpipe)`. */
  readonly name: string;
  /** A storage holding a copy of `data`. */
  upload(data: TypedArray): Storage;
  /** A storage of `size` elements of `dtype`, zero-filled. */
  allocate(dtype: DType, size: number): Storage;
  /** A copy of the first `size` elements, as a TypedArray (the only async step). */
  read(storage: Storage, dtype: DType, size: number): Promise<TypedArray>;
  /** Returns the storage's memory to the device (called when refCount reaches 0). */
  release(storage: Storage): void;
  /** Throws the errors kernels found in their data since the last read (WebGPU defers a
   * bad gather index or class label until then), or those behind `storages`; on the CPU
   * such errors throw at the op, and this resolves at once. */
  checkDeferredErrors(storages?: readonly Storage[]): Promise<void>;
  /** Live buffers and bytes on this device. */
  memory(): DeviceMemory;
  /** Frees everything the device holds; a disposed device can no longer be used. */
  dispose(): void;
}
