// Matrix multiplication: out[b] = op(A[b]) · op(B[b]) where op transposes when asked.
// A is [batchA, M, K] (or [batchA, K, M] transposed), B is [batchB, K, N] (or [batchB, N, K]);
// batchA and batchB are each 1 or `batch` (the op layer broadcasts anything else).

import { u32 } from '../device/uniforms.js';
import type { Tensor } from '../tensor.js';
import { usesVec4 } from './gemm-subgroup.js';
import { type GemmSpec, type GemmVariant, gemm, gemmVariantFor } from './gemm.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';
import { matmulWasm } from './wasm/matmul.js';
import { gpuDevice } from './wgsl.js';

export interface MatmulInfo {
  batch: number;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
}

// The CPU loop (shared with conv.ts): out[m×n] += A[m×k] · Btᵀ, with B given transposed
// (Bt is [n×k]) so that every output is a dot product of two contiguous rows. A 4×4 tile
// of outputs is computed at once in 16 local accumulators: each step of k loads 4 values
// of A and 4 of Bt and does 16 multiply-adds (twice as fast as the i-k-j order).
// Accumulating in JavaScript numbers (float64) also makes it the more exact
// reference. Callers copy operands into this layout first: O(n²) against O(n³).
export function multiplyTransposed(A: Float32Array, aOff: number, Bt: Float32Array, bOff: number, out: Float32Array, oOff: number, m: number, n: number, k: number): void {
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const a0 = aOff + i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const b0 = bOff + j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0; // prettier-ignore
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0; // prettier-ignore
      for (let kk = 0; kk < k; kk++) {
        const x0 = A[a0 + kk]!, x1 = A[a1 + kk]!, x2 = A[a2 + kk]!, x3 = A[a3 + kk]!; // prettier-ignore
        const y0 = Bt[b0 + kk]!, y1 = Bt[b1 + kk]!, y2 = Bt[b2 + kk]!, y3 = Bt[b3 + kk]!; // prettier-ignore
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3; // prettier-ignore
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3; // prettier-ignore
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3; // prettier-ignore
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3; // prettier-ignore
      }
      const o0 = oOff + i * n + j;
      const o1 = o0 + n;
      const o2 = o1 + n;
      const o3 = o2 + n;
      out[o0]! += c00; out[o0 + 1]! += c01; out[o0 + 2]! += c02; out[o0 + 3]! += c03; // prettier-ignore
      out[o1]! += c10; out[o1 + 1]! += c11; out[o1 + 2]! += c12; out[o1 + 3]! += c13; // prettier-ignore
      out[o2]! += c20; out[o2 + 1]! += c21; out[o2 + 2]! += c22; out[o2 + 3]! += c23; // prettier-ignore
      out[o3]! += c30; out[o3 + 1]! += c31; out[o3 + 2]! += c32; out[o3 + 3]! += c33; // prettier-ignore
    }
    for (; j < n; j++) for (let r = 0; r < 4; r++) out[oOff + (i + r) * n + j]! += dot(A, aOff + (i + r) * k, Bt, bOff + j * k, k);
  }
  for (; i < m; i++) for (let j = 0; j < n; j++) out[oOff + i * n + j]! += dot(A, aOff + i * k, Bt, bOff + j * k, k);
}

function dot(x: Float32Array, xOff: number, y: Float32Array, yOff: number, k: number): number {
  let acc = 0;
  for (let kk = 0; kk < k; kk++) acc += x[xOff + kk]! * y[yOff + kk]!;
  return acc;
}

/** Copies each [rows, cols] matrix of a batch into [cols, rows]. */
export function transposeBatch(x: Float32Array, rows: number, cols: number): Float32Array {
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
    const Bt = transposeB ? (cpuData(b) as Float32Array) : transposeBatch(cpuData(b) as Float32Array, k, n);
    const out = new Float32Array(batch * m * n);
    const aStep = a.size === m * k ? 0 : m * k;
    const bStep = b.size === k * n ? 0 : k * n;
    for (let p = 0; p < batch; p++) multiplyTransposed(A, p * aStep, Bt, p * bStep, out, p * m * n, m, n, k);
    return cpuTensor(out, [batch, m, n]);
  },
  wasm: matmulWasm,
  webgpu(a, b, info) {
    return matmulWebgpu(a, b, info, gemmVariantFor(gpuDevice(a)));
  },
};

// The WGSL reads of A and B for the GEMM schedules in gemm.ts. A transpose only changes
// the index (A(r, k) sits at k·M + r instead of r·K + k), so Aᵀ·B and A·Bᵀ — the matmuls of
// backward — read their operands where they lie; odd sizes are handled by the schedules'
// edge clamping, never by padded copies. aStep/bStep are 0 for an operand shared by the batch.
export function matmulSpec(transposeA: boolean, transposeB: boolean): GemmSpec {
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
    vec4: {
      inputs: /* wgsl */ `
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;`,
      loads: /* wgsl */ `
fn rowA4(batch: u32, row: u32) -> u32 { return batch * u.aStep + ${transposeA ? 'row' : 'row * u.K'}; }
fn loadA4(start: u32, k: u32) -> vec4<f32> { return a4[(start + ${transposeA ? 'k * u.M' : 'k'}) / 4u]; }
fn loadB4(batch: u32, k: u32, col: u32) -> vec4<f32> { return b4[(batch * u.bStep + ${transposeB ? 'col * u.K + k' : 'k * u.N + col'}) / 4u]; }`,
    },
  };
}

// The same reads with the layout in uniforms: A(r, k) at r·aRow + k·aK, B(k, c) at
// k·bK + c·bCol. One shader serves all four transposes, for the subgroup schedule's scalar
// case: on lavapipe a GEMM pipeline costs 0.3-1 s of LLVM at its first dispatch, the extra
// multiply per read costs little next to the read itself (a scalar load per lane).
const STRIDED: GemmSpec = {
  key: 'matmul/strided',
  uniforms: 'aStep: u32, bStep: u32, aRow: u32, aK: u32, bK: u32, bCol: u32',
  inputs: /* wgsl */ `
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;`,
  loads: /* wgsl */ `
alias RowA = u32; // where A's row starts
fn rowA(batch: u32, row: u32) -> u32 { return batch * u.aStep + row * u.aRow; }
fn loadA(start: u32, k: u32, d: vec3<u32>) -> f32 { return a[start + k * u.aK]; }
fn loadB(batch: u32, k: u32, d: vec3<u32>, col: u32) -> f32 { return b[batch * u.bStep + k * u.bK + col * u.bCol]; }`,
  kRadices: ['1u', 'u.K'], // d.z = k
  aAlongK: false, // (only the tiled schedule reads these)
  bAlongK: false,
};

/** The WebGPU matmul with an explicit schedule (tests and the bench run both). */
export function matmulWebgpu(a: Tensor, b: Tensor, { batch, m, n, k, transposeA, transposeB }: MatmulInfo, variant: GemmVariant): Tensor {
  const aStep = a.size === m * k ? 0 : m * k;
  const bStep = b.size === k * n ? 0 : k * n;
  const spec = matmulSpec(transposeA, transposeB);
  const sizes = { batch, m, n, k };
  if (variant === 'subgroup' && !usesVec4(spec, m, n, k)) {
    const layout = [transposeA ? 1 : k, transposeA ? m : 1, transposeB ? 1 : n, transposeB ? k : 1];
    return gemm(gpuDevice(a), STRIDED, variant, [a.storage, b.storage], [batch, m, n], sizes, [aStep, bStep, ...layout].map(u32));
  }
  return gemm(gpuDevice(a), spec, variant, [a.storage, b.storage], [batch, m, n], sizes, [u32(aStep), u32(bStep)]);
}
