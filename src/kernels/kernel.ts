// A kernel is one primitive computation implemented once per device kind: `cpu` is the
// plain TypeScript reference, `webgpu` launches the handwritten WGSL kernel that sits
// beside it in the same file. Ops (src/ops) check arguments and pick the kernel for the
// tensors' device with `kernelFor`; kernels trust their arguments.
//
// The contract every file in src/kernels keeps:
//   - a kernel object defines both `cpu` and `webgpu` in its literal (and, optionally,
//     `wasm`, the CPU device's fast path, with `cpu` as its reference);
//   - a WebGPU kernel reaches its device with `gpuDevice(tensor)`, makes its outputs with
//     `gpuOutput`, and takes temporary buffers only through `withScratch` (wgsl.ts), which
//     returns them to the pool when the kernel has recorded its dispatches;
//   - only src/ops imports from src/kernels (test/layering.test.ts checks it).

import type { Device, DeviceKind } from '../device/device.js';
import { type CpuStorage, cpu } from '../device/cpu.js';
import { profiler } from '../device/profiler.js';
import type { DType, TypedArray } from '../dtype.js';
import { TensorLoopError } from '../errors.js';
import { type Shape, Tensor } from '../tensor.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KernelFunction = (...args: any[]) => Tensor;

export interface Kernel<F extends KernelFunction> {
  readonly name: string;
  readonly cpu: F;
  /** The CPU device's fast path (WebAssembly, src/kernels/wasm): null when it does not
   * apply (too small, no WebAssembly), and the `cpu` reference runs instead. */
  readonly wasm?: (...args: Parameters<F>) => Tensor | null;
  readonly webgpu: F;
}

/** Each kernel's CPU entry when it has a `wasm` path: the fast path, else the reference. */
const cpuEntries = new WeakMap<Kernel<KernelFunction>, KernelFunction>();

function cpuEntry<F extends KernelFunction>(kernel: Kernel<F>): F {
  const { wasm, cpu: reference } = kernel;
  if (!wasm) return reference;
  let entry = cpuEntries.get(kernel);
  if (!entry) cpuEntries.set(kernel, (entry = (...args: Parameters<F>) => wasm(...args) ?? reference(...args)));
  return entry as F;
}

/** The implementation of `kernel` for `device`. */
export function kernelFor<F extends KernelFunction>(kernel: Kernel<F>, device: Device): F {
  const impl = device.kind === 'cpu' ? cpuEntry(kernel) : kernel[device.kind as DeviceKind];
  if (!impl) throw new TensorLoopError(`${kernel.name}: no kernel for device kind ${device.kind}`);
  return profiler.enabled ? profiler.timed(kernel.name, impl) : impl;
}

/** The TypedArray behind a CPU tensor. */
export function cpuData(t: Tensor): TypedArray {
  return (t.storage as CpuStorage).data;
}

/** Wraps a freshly computed TypedArray as a CPU tensor (no copy). */
export function cpuTensor(data: TypedArray, shape: Shape): Tensor {
  const dtype: DType = data instanceof Int32Array ? 'int32' : 'float32';
  return new Tensor([...shape], dtype, cpu, cpu.adopt(data));
}

/** Row-major strides of a shape: strides([2,3,4]) = [12,4,1]. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** Strides of `shape` read as if broadcast to `outShape`: 0 along broadcast axes. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = stridesOf(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((_, i) => {
    const j = i - offset;
    return j < 0 || shape[j] === 1 ? 0 : own[j]!;
  });
}
