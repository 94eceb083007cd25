// The CPU device: storage is a plain TypedArray. It is the reference every WebGPU kernel
// is tested against, and the fallback when no GPU adapter exists.

import { type DType, type TypedArray, typedArrayFor } from '../dtype.js';
import type { Device, DeviceMemory, Storage } from './device.js';

export class CpuStorage implements Storage {
  refCount = 1;
  constructor(readonly data: TypedArray) {}
  get byteLength(): number {
    return this.data.byteLength;
  }
}

export class CpuDevice implements Device {
  readonly kind = 'cpu' as const;
  readonly name = 'cpu';
  private live = { buffers: 0, bytes: 0 };

  upload(data: TypedArray): CpuStorage {
    return this.track(new CpuStorage(data.slice()));
  }

  allocate(dtype: DType, size: number): CpuStorage {
    return this.track(new CpuStorage(typedArrayFor(dtype, size)));
  }

  /** Wraps an array the caller hands over (no copy): how CPU kernels return results. */
  adopt(data: TypedArray): CpuStorage {
    return this.track(new CpuStorage(data));
  }

  async read(storage: Storage, _dtype: DType, size: number): Promise<TypedArray> {
    return (storage as CpuStorage).data.slice(0, size);
  }

  release(storage: Storage): void {
    this.live.buffers -= 1;
    this.live.bytes -= storage.byteLength;
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

  private track(storage: CpuStorage): CpuStorage {
    this.live.buffers += 1;
    this.live.bytes += storage.byteLength;
    return storage;
  }
}

export const cpu = new CpuDevice();
