// Matrix multiplication: out[b] = op(A[b]) · op(B[b]) where op transposes when asked.
// A is [batchA, M, K] (or [batchA, K, M] transposed), B is [batchB, K, N] (or [batchB, N, K]);
// batchA and batchB are each 1 or `batch` (the op layer broadcasts anything else).

import type { Tensor } from '../tensor.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';

export interface MatmulInfo {
  batch: number;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
}

/** out[b, i, j] = Σ_k A[b, i, k] · B[b, k, j], in loop orders that read memory in sequence. */
export const matmulKernel: Kernel<(a: Tensor, b: Tensor, info: MatmulInfo) => Tensor> = {
  name: 'matmul',
  cpu(a, b, { batch, m, n, k, transposeA, transposeB }) {
    const A = cpuData(a) as Float32Array;
    const B = cpuData(b) as Float32Array;
    const out = new Float32Array(batch * m * n);
    const aStep = a.size === m * k ? 0 : m * k;
    const bStep = b.size === k * n ? 0 : k * n;
    for (let p = 0; p < batch; p++) {
      const aOff = p * aStep;
      const bOff = p * bStep;
      const oOff = p * m * n;
      if (!transposeB) {
        // i-k-j: the inner loop walks a row of B and a row of out together
        for (let i = 0; i < m; i++) {
          const row = oOff + i * n;
          for (let kk = 0; kk < k; kk++) {
            const aik = transposeA ? A[aOff + kk * m + i]! : A[aOff + i * k + kk]!;
            if (aik === 0) continue;
            const bRow = bOff + kk * n;
            for (let j = 0; j < n; j++) out[row + j]! += aik * B[bRow + j]!;
          }
        }
      } else if (!transposeA) {
        // i-j-k: rows of A and rows of B (= columns of Bᵀ) are both contiguous in k
        for (let i = 0; i < m; i++) {
          const aRow = aOff + i * k;
          for (let j = 0; j < n; j++) {
            const bRow = bOff + j * k;
            let acc = 0;
            for (let kk = 0; kk < k; kk++) acc += A[aRow + kk]! * B[bRow + kk]!;
            out[oOff + i * n + j] = acc;
          }
        }
      } else {
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let acc = 0;
            for (let kk = 0; kk < k; kk++) acc += A[aOff + kk * m + i]! * B[bOff + j * k + kk]!;
            out[oOff + i * n + j] = acc;
          }
        }
      }
    }
    return cpuTensor(out, [batch, m, n]);
  },
};
