// matmul on the CPU device through the WebAssembly SIMD GEMM (gemm.ts): each batch
// element's operands are packed into the runtime's memory (transposes folded into the
// packing), multiplied, and the result copied out. Returns null (the caller then runs the
// TypeScript reference) when WebAssembly is unavailable or the product is too small to
// pay for the copies.

import type { Tensor } from '../../tensor.js';
import { cpuData, cpuTensor } from '../kernel.js';
import type { MatmulInfo } from '../matmul.js';
import { gemmRegions, readC, runGemm, transposeInto } from './gemm.js';
import { wasmKernels } from './module.js';

/** Multiply-adds below which the reference loop is as fast as the copies. */
const MIN_WORK = 4096;

export function matmulWasm(a: Tensor, b: Tensor, { batch, m, n, k, transposeA, transposeB }: MatmulInfo): Tensor | null {
  if (m * n * k < MIN_WORK) return null;
  const rt = wasmKernels();
  if (!rt) return null;
  rt.reset();
  // A goes in as it lies (a transposed A is column-major); B must be row-major [k×n]
  const regions = gemmRegions(rt, transposeA ? 'columnMajor' : 'rowMajor', m, n, k);
  if (!regions) return null;
  const memory = rt.f32();
  const A = cpuData(a) as Float32Array;
  const B = cpuData(b) as Float32Array;
  const aStep = a.size === m * k ? 0 : m * k;
  const bStep = b.size === k * n ? 0 : k * n;
  const out = new Float32Array(batch * m * n);
  for (let p = 0; p < batch; p++) {
    if (p === 0 || aStep !== 0) memory.set(A.subarray(p * aStep, p * aStep + m * k), regions.a / 4);
    if (p === 0 || bStep !== 0) {
      if (transposeB) transposeInto(B, p * bStep, n, k, memory, regions.b / 4);
      else memory.set(B.subarray(p * bStep, p * bStep + k * n), regions.b / 4);
    }
    runGemm(rt, regions, m, n, k);
    readC(memory, regions, m, n, out, p * m * n);
  }
  return cpuTensor(out, [batch, m, n]);
}
