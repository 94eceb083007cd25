// matmul on the CPU device through the WebAssembly SIMD GEMM (gemm.ts): each batch
// element's operands are read where they lie in the heap (transposes are layouts the GEMM
// reads directly) and the result is written in place. Returns null (the caller then runs
// the TypeScript reference) when WebAssembly is unavailable, the product is too small to
// gain, or memory is full.

import type { Tensor } from '../../tensor.js';
import type { MatmulInfo } from '../matmul.js';
import { gemmBuffers, runGemm } from './gemm.js';
import { wasmKernels } from './module.js';
import { kernelOutput, operandAddress } from './operands.js';

/** Multiply-adds below which the reference loop is as fast. */
const MIN_WORK = 4096;

export function matmulWasm(a: Tensor, b: Tensor, { batch, m, n, k, transposeA, transposeB }: MatmulInfo): Tensor | null {
  if (m * n * k < MIN_WORK) return null;
  const rt = wasmKernels();
  if (!rt) return null;
  rt.reset();
  const pa = operandAddress(rt, a);
  const pb = operandAddress(rt, b);
  const buffers = gemmBuffers(rt, k);
  const out = pa < 0 || pb < 0 || !buffers ? null : kernelOutput(rt, [batch, m, n]);
  if (!out) return null;
  const aStep = a.size === m * k ? 0 : 4 * m * k;
  const bStep = b.size === k * n ? 0 : 4 * k * n;
  for (let p = 0; p < batch; p++) {
    const operands = {
      a: pa + p * aStep,
      lda: transposeA ? m : k,
      aLayout: transposeA ? 'columnMajor' : 'rowMajor',
      b: pb + p * bStep,
      ldb: transposeB ? k : n,
      bLayout: transposeB ? 'transposed' : 'rowMajor',
      c: out.address + 4 * p * m * n,
      ldc: n,
    } as const;
    runGemm(rt, operands, m, n, k, buffers);
  }
  return out.finish();
}
