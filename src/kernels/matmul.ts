// Matrix multiplication: out[b] = op(A[b]) · op(B[b]) where op transposes when asked.
// A is [batchA, M, K] (or [batchA, K, M] transposed), B is [batchB, K, N] (or [batchB, N, K]);
// batchA and batchB are each 1 or `batch` (the op layer broadcasts anything else).

import type { WebGpuDevice } from '../device/webgpu.js';
import { u32 } from '../device/uniforms.js';
import type { Tensor } from '../tensor.js';
import { type GemmSpec, type GemmVariant, gemm, gemmVariantFor } from './gemm.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';

export interface MatmulInfo {
  batch: number;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
}

// The CPU loop (shared with conv.ts): out += A·B for row-major A [m,k], B [k,n]; 4 rows of A at a time (each B element loaded once feeds 4 outputs) over
// k-blocks of 128 (the B rows in use stay in cache). Transposed inputs are first copied
// to row-major scratch: O(n²) work that lets one fast O(n³) loop serve all four cases.
const K_BLOCK = 128;

export function multiplyRowMajor(A: Float32Array, aOff: number, B: Float32Array, bOff: number, out: Float32Array, oOff: number, m: number, n: number, k: number): void {
  for (let k0 = 0; k0 < k; k0 += K_BLOCK) {
    const k1 = Math.min(k, k0 + K_BLOCK);
    let i = 0;
    for (; i + 3 < m; i += 4) {
      const r0 = oOff + i * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      const a = aOff + i * k;
      for (let kk = k0; kk < k1; kk++) {
        const a0 = A[a + kk]!;
        const a1 = A[a + k + kk]!;
        const a2 = A[a + 2 * k + kk]!;
        const a3 = A[a + 3 * k + kk]!;
        const bRow = bOff + kk * n;
        for (let j = 0; j < n; j++) {
          const b = B[bRow + j]!;
          out[r0 + j]! += a0 * b;
          out[r1 + j]! += a1 * b;
          out[r2 + j]! += a2 * b;
          out[r3 + j]! += a3 * b;
        }
      }
    }
    for (; i < m; i++) {
      const row = oOff + i * n;
      for (let kk = k0; kk < k1; kk++) {
        const aik = A[aOff + i * k + kk]!;
        const bRow = bOff + kk * n;
        for (let j = 0; j < n; j++) out[row + j]! += aik * B[bRow + j]!;
      }
    }
  }
}

/** Copies each [rows, cols] matrix of a batch into [cols, rows]. */
function transposeBatch(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let base = 0; base < x.length; base += rows * cols) {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[base + c * rows + r] = x[base + r * cols + c]!;
  }
  return out;
}

/** out[b, i, j] = Σ_k A[b, i, k] · B[b, k, j]. */
export const matmulKernel: Kernel<(a: Tensor, b: Tensor, info: MatmulInfo) => Tensor> = {
  name: 'matmul',
  cpu(a, b, { batch, m, n, k, transposeA, transposeB }) {
    const A = transposeA ? transposeBatch(cpuData(a) as Float32Array, k, m) : (cpuData(a) as Float32Array);
    const B = transposeB ? transposeBatch(cpuData(b) as Float32Array, n, k) : (cpuData(b) as Float32Array);
    const out = new Float32Array(batch * m * n);
    const aStep = a.size === m * k ? 0 : m * k;
    const bStep = b.size === k * n ? 0 : k * n;
    for (let p = 0; p < batch; p++) multiplyRowMajor(A, p * aStep, B, p * bStep, out, p * m * n, m, n, k);
    return cpuTensor(out, [batch, m, n]);
  },
  webgpu(a, b, info) {
    const device = a.device as WebGpuDevice;
    return matmulWebgpu(a, b, info, gemmVariantFor(device));
  },
};

// The WGSL reads of A and B for the GEMM schedules in gemm.ts. A transpose only changes
// the index (A(r, k) sits at k·M + r instead of r·K + k), so Aᵀ·B and A·Bᵀ — the matmuls of
// backward — read their operands where they lie; odd sizes are handled by the schedules'
// edge clamping, never by padded copies. aStep/bStep are 0 for an operand shared by the batch.
function matmulSpec(transposeA: boolean, transposeB: boolean): GemmSpec {
  return {
    key: `matmul/${transposeA ? 'T' : 'N'}${transposeB ? 'T' : 'N'}`,
    uniforms: 'aStep: u32, bStep: u32',
    inputs: /* wgsl */ `
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;`,
    loads: /* wgsl */ `
alias RowA = u32; // where A's row starts
fn rowA(batch: u32, row: u32) -> u32 { return batch * u.aStep + ${transposeA ? 'row' : 'row * u.K'}; }
fn loadA(start: u32, k: u32, d: vec3<u32>) -> f32 { return a[start + ${transposeA ? 'k * u.M' : 'k'}]; }
fn loadB(batch: u32, k: u32, d: vec3<u32>, col: u32) -> f32 { return b[batch * u.bStep + ${transposeB ? 'col * u.K + k' : 'k * u.N + col'}]; }`,
    kRadices: ['1u', 'u.K'], // d.z = k
    aAlongK: !transposeA,
    bAlongK: transposeB,
  };
}

/** The WebGPU matmul with an explicit schedule (tests and the bench run both). */
export function matmulWebgpu(a: Tensor, b: Tensor, { batch, m, n, k, transposeA, transposeB }: MatmulInfo, variant: GemmVariant): Tensor {
  const aStep = a.size === m * k ? 0 : m * k;
  const bStep = b.size === k * n ? 0 : k * n;
  return gemm(a.device as WebGpuDevice, matmulSpec(transposeA, transposeB), variant, [a.storage, b.storage], [batch, m, n], { batch, m, n, k }, [u32(aStep), u32(bStep)]);
}
