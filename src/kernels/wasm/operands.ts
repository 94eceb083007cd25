// Where a WebAssembly kernel finds its operands and puts its result. A CPU tensor in the
// heap (src/device/wasm/heap.ts) is read where it lies and a result is allocated there and
// written in place; a plain-array tensor (no heap, a small tensor, or a full heap) is
// copied into scratch first, and a result that found no room in the heap is computed in
// scratch and copied out into a plain array.

import { type CpuStorage, cpu } from '../../device/cpu.js';
import type { WasmRuntime } from '../../device/wasm/runtime.js';
import { type Shape, Tensor, sizeOf } from '../../tensor.js';

/** The byte address of `t`'s float32 elements in the runtime's memory (a scratch copy when
 * they are not there), or -1 when scratch is full. */
export function operandAddress(rt: WasmRuntime, t: Tensor): number {
  const storage = t.storage as CpuStorage;
  if (rt.tensorsInMemory && storage.address >= 0) return storage.address;
  const at = rt.alloc(4 * t.size);
  if (at >= 0) rt.f32().set((storage.data as Float32Array).subarray(0, t.size), at / 4);
  return at;
}

export interface KernelOutput {
  /** Byte address the kernel writes the result to. */
  readonly address: number;
  /** The result as a tensor (call once the kernel has written it). */
  finish(): Tensor;
}

/** A float32 result of `shape`, to be written at `address`; null when there is no room. */
export function kernelOutput(rt: WasmRuntime, shape: Shape): KernelOutput | null {
  const size = sizeOf(shape);
  const storage = cpu.allocateUninitialized('float32', size);
  const wrap = () => new Tensor([...shape], 'float32', cpu, storage);
  if (rt.tensorsInMemory && storage.address >= 0) return { address: storage.address, finish: wrap };
  const at = rt.alloc(4 * size);
  if (at < 0) {
    cpu.release(storage);
    return null;
  }
  return {
    address: at,
    finish() {
      storage.data.set(rt.f32().subarray(at / 4, at / 4 + size));
      return wrap();
    },
  };
}

/** The byte address of `t`'s elements for a kernel that updates them in place: -1 unless
 * they lie in the runtime's memory. */
export function inPlaceAddress(rt: WasmRuntime, t: Tensor): number {
  const { address } = t.storage as CpuStorage;
  return rt.tensorsInMemory ? address : -1;
}
