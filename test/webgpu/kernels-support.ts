// Helpers of the kernels-* suites: seeded inputs made identically on the CPU and the GPU,
// a kernel-vs-CPU-reference comparison, and gradients of the same function on both devices.
// Not a suite itself (the name does not end in .test.ts).

import { grad } from '../../src/autodiff/gradients.js';
import { cpu } from '../../src/device/cpu.js';
import type { Device } from '../../src/device/device.js';
import { mul, sum } from '../../src/ops/index.js';
import { type Shape, type Tensor, randn } from '../../src/tensor.js';
import { type Tolerance, assertClose } from '../helpers/assert.js';

/** The same normal samples (fixed seed) on a device. */
export const normal = (shape: Shape, device: Device, seed: number): Tensor => randn(shape, { seed, device });

/** Runs `run` on seeded inputs of `shapes` on the GPU and on the CPU, compares the results. */
export async function assertMatchesCpu(gpu: Device, shapes: Shape[], run: (...xs: Tensor[]) => Tensor, tolerance: Tolerance, what: string): Promise<void> {
  const onGpu = run(...shapes.map((s, i) => normal(s, gpu, i + 1)));
  const onCpu = run(...shapes.map((s, i) => normal(s, cpu, i + 1)));
  if (onGpu.shape.join() !== onCpu.shape.join()) throw new Error(`${what}: shape [${onGpu.shape}] on the GPU, [${onCpu.shape}] on the CPU`);
  assertClose(await onGpu.data(), await onCpu.data(), tolerance, what);
}

/** The gradients of Σ f(xs)·r (r a fixed random cotangent) with respect to every input,
 * taken on the GPU and on the CPU, compared input by input. */
export async function assertGradientsMatchCpu(gpu: Device, shapes: Shape[], f: (...xs: Tensor[]) => Tensor, tolerance: Tolerance, what: string): Promise<void> {
  const gradsOn = async (device: Device): Promise<Float32Array[]> => {
    const xs = shapes.map((s, i) => normal(s, device, i + 1));
    const outShape = f(...xs).shape;
    const r = normal(outShape, device, 99);
    const grads = grad((...ys: Tensor[]) => sum(mul(f(...ys), r)))(...xs);
    return Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
  };
  const [g, c] = [await gradsOn(gpu), await gradsOn(cpu)];
  for (let i = 0; i < c.length; i++) assertClose(g[i]!, c[i]!, tolerance, `${what}: gradient of input ${i}`);
}
