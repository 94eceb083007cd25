// 2-D convolution, NHWC input and HWIO filters (the TensorFlow layout), and its two
// gradients. Output position (oh, ow) reads input rows ih = oh·strideH - padTop + kh·dilationH
// (likewise for columns); positions that fall in the padding read zero.

import { i32, u32 } from '../device/uniforms.js';
import type { Tensor } from '../tensor.js';
import { type GemmSpec, type GemmVariant, gemm, gemmVariantFor } from './gemm.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';
import { multiplyTransposed, transposeBatch } from './matmul.js';
import { conv2dBackpropFilterWasm, conv2dBackpropInputWasm, conv2dWasm } from './wasm/conv.js';
import { gpuDevice } from './wgsl.js';

/** The geometry of one convolution, computed once by the op (src/ops/conv.ts). */
export interface Conv2DInfo {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
}

// The CPU reference works as implicit GEMM over chunks of output pixels: gather a chunk's
// input patches into a [rows, kH·kW·inC] matrix (its "im2col" rows), then one matrix
// product with the filter viewed as [kH·kW·inC, outC]. Chunks bound the scratch memory.
const ROWS_PER_CHUNK = 128; // a multiple of 4 (the GEMM's row blocking); scratch = 128·K floats

/** Calls visit(tap, inputIndex) for each in-bounds tap of the window of output pixel
 * (n, oh, ow): tap = kh·kW + kw, and inputIndex points at channel 0 of the input pixel the
 * tap reads (inC contiguous values follow). Shared with pooling (pool.ts). */
export function forEachWindowTap(g: Conv2DInfo, n: number, oh: number, ow: number, visit: (tap: number, inputIndex: number) => void): void {
  for (let kh = 0; kh < g.kH; kh++) {
    const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
    if (ih < 0 || ih >= g.inH) continue;
    for (let kw = 0; kw < g.kW; kw++) {
      const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
      if (iw < 0 || iw >= g.inW) continue;
      visit(kh * g.kW + kw, ((n * g.inH + ih) * g.inW + iw) * g.inC);
    }
  }
}

/** forEachWindowTap for output pixel number `row` (rows run over n, oh, ow), giving the
 * tap's column in a patch row, (kh·kW + kw)·inC. */
function forEachTap(g: Conv2DInfo, row: number, visit: (patchColumn: number, inputIndex: number) => void): void {
  const ow = row % g.outW;
  const oh = Math.floor(row / g.outW) % g.outH;
  const n = Math.floor(row / (g.outW * g.outH));
  forEachWindowTap(g, n, oh, ow, (tap, input) => visit(tap * g.inC, input));
}

/** Fills `patches` [rows, K] with the input patches of output pixels r0 … r0+rows-1. */
function gatherPatches(X: Float32Array, g: Conv2DInfo, r0: number, rows: number, patches: Float32Array): void {
  const K = g.kH * g.kW * g.inC;
  patches.fill(0);
  for (let r = 0; r < rows; r++) {
    forEachTap(g, r0 + r, (column, input) => patches.set(X.subarray(input, input + g.inC), r * K + column));
  }
}

/** y[n, oh, ow, co] = Σ_{kh, kw, c} x[n, ih, iw, c] · w[kh, kw, c, co]. The inner loop runs
 * along co, where both w and y are contiguous. */
export const conv2dKernel: Kernel<(x: Tensor, w: Tensor, info: Conv2DInfo) => Tensor> = {
  name: 'conv2d',
  wasm: conv2dWasm,
  cpu(x, w, g) {
    const X = cpuData(x) as Float32Array;
    const K = g.kH * g.kW * g.inC;
    const Wt = transposeBatch(cpuData(w) as Float32Array, K, g.outC); // [outC, K]
    const rows = g.batch * g.outH * g.outW;
    const Y = new Float32Array(rows * g.outC);
    const patches = new Float32Array(ROWS_PER_CHUNK * K);
    for (let r0 = 0; r0 < rows; r0 += ROWS_PER_CHUNK) {
      const count = Math.min(ROWS_PER_CHUNK, rows - r0);
      gatherPatches(X, g, r0, count, patches);
      multiplyTransposed(patches, 0, Wt, 0, Y, r0 * g.outC, count, g.outC, K); // y = patches · W
    }
    return cpuTensor(Y, [g.batch, g.outH, g.outW, g.outC]);
  },
  webgpu(x, w, g) {
    return conv2dWebgpu(x, w, g, gemmVariantFor(gpuDevice(x)));
  },
};

/** dx[n, ih, iw, c] = Σ over the outputs that read (ih, iw) of dy[n, oh, ow, co] · w[kh, kw, c, co]. */
export const conv2dBackpropInputKernel: Kernel<(dy: Tensor, w: Tensor, info: Conv2DInfo) => Tensor> = {
  name: 'conv2dBackpropInput',
  wasm: conv2dBackpropInputWasm,
  cpu(dy, w, g) {
    const DY = cpuData(dy) as Float32Array;
    const K = g.kH * g.kW * g.inC;
    const W = cpuData(w) as Float32Array; // [K, outC]: the transposed form of Wᵀ
    const rows = g.batch * g.outH * g.outW;
    const DX = new Float32Array(g.batch * g.inH * g.inW * g.inC);
    const dPatches = new Float32Array(ROWS_PER_CHUNK * K);
    for (let r0 = 0; r0 < rows; r0 += ROWS_PER_CHUNK) {
      const count = Math.min(ROWS_PER_CHUNK, rows - r0);
      dPatches.fill(0);
      multiplyTransposed(DY, r0 * g.outC, W, 0, dPatches, 0, count, K, g.outC); // dPatches = dy · Wᵀ
      for (let r = 0; r < count; r++) {
        forEachTap(g, r0 + r, (column, input) => {
          for (let c = 0; c < g.inC; c++) DX[input + c]! += dPatches[r * K + column + c]!;
        });
      }
    }
    return cpuTensor(DX, [g.batch, g.inH, g.inW, g.inC]);
  },
  webgpu(dy, w, g) {
    return conv2dBackpropInputWebgpu(dy, w, g, gemmVariantFor(gpuDevice(dy)));
  },
};

/** dw[kh, kw, c, co] = Σ_{n, oh, ow} x[n, ih, iw, c] · dy[n, oh, ow, co]. */
export const conv2dBackpropFilterKernel: Kernel<(x: Tensor, dy: Tensor, info: Conv2DInfo) => Tensor> = {
  name: 'conv2dBackpropFilter',
  wasm: conv2dBackpropFilterWasm,
  cpu(x, dy, g) {
    const X = cpuData(x) as Float32Array;
    const DY = cpuData(dy) as Float32Array;
    const K = g.kH * g.kW * g.inC;
    const rows = g.batch * g.outH * g.outW;
    const DW = new Float32Array(K * g.outC);
    const patches = new Float32Array(ROWS_PER_CHUNK * K);
    for (let r0 = 0; r0 < rows; r0 += ROWS_PER_CHUNK) {
      const count = Math.min(ROWS_PER_CHUNK, rows - r0);
      gatherPatches(X, g, r0, count, patches);
      const dyT = transposeBatch(DY.subarray(r0 * g.outC, (r0 + count) * g.outC), count, g.outC); // [outC, count]
      const patchesT = transposeBatch(patches.subarray(0, count * K), count, K); // [K, count]
      multiplyTransposed(patchesT, 0, dyT, 0, DW, 0, K, g.outC, count); // dW += patchesᵀ · dy
    }
    return cpuTensor(DW, [g.kH, g.kW, g.inC, g.outC]);
  },
  webgpu(x, dy, g) {
    return conv2dBackpropFilterWebgpu(x, dy, g, gemmVariantFor(gpuDevice(x)));
  },
};

// ------------------------------------------------------------------ WebGPU: implicit GEMM
//
// Each convolution is a matrix product whose operands are read through index math instead
// of being materialized (no im2col buffer): the GEMM schedules of gemm.ts with conv reads.
//   forward          y[(n,oh,ow), co]  = Σ_(kh,kw,c)  X̂[(n,oh,ow), (kh,kw,c)] · w[(kh,kw,c), co]
//   input gradient   dx[(n,ih,iw), c]  = Σ_(kh,kw,co) dŶ[(n,ih,iw), (kh,kw,co)] · w[(kh,kw,c), co]
//   filter gradient  dw[(kh,kw,c), co] = Σ_(n,oh,ow)  X̂[(n,oh,ow), (kh,kw,c)]ᵀ · dy[(n,oh,ow), co]
// X̂ is the patch matrix (zero where a window hangs over the padding); dŶ gathers, for input
// pixel (ih, iw), the dy of the output that saw it through tap (kh, kw) — zero where no
// output did (stride gaps, edges). NHWC and HWIO make y, dx and dw plain row-major outputs.

const CONV_UNIFORMS =
  'inH: u32, inW: u32, inC: u32, outH: u32, outW: u32, outC: u32, kH: u32, kW: u32, ' +
  'strideH: u32, strideW: u32, dilationH: u32, dilationW: u32, padTop: i32, padLeft: i32';

function convUniforms(g: Conv2DInfo) {
  return [
    ...[g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.kH, g.kW, g.strideH, g.strideW, g.dilationH, g.dilationW].map(u32),
    i32(g.padTop),
    i32(g.padLeft),
  ];
}

const TWO_INPUTS = /* wgsl */ `
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;`;

// Forward: a = x, b = w. A row of X̂ is an output pixel: RowA = (first element of image n,
// top and left of its window); k = (kh·kW + kw)·inC + c.
const CONV_FORWARD: GemmSpec = {
  key: 'conv2d',
  uniforms: CONV_UNIFORMS,
  inputs: TWO_INPUTS,
  loads: /* wgsl */ `
alias RowA = vec3<i32>;
fn rowA(batch: u32, row: u32) -> vec3<i32> {
  let ow = row % u.outW; let oh = (row / u.outW) % u.outH; let n = row / (u.outW * u.outH);
  return vec3<i32>(i32(n * u.inH), i32(oh * u.strideH) - u.padTop, i32(ow * u.strideW) - u.padLeft);
}
fn loadA(r: vec3<i32>, k: u32, d: vec3<u32>) -> f32 { // d = (kh, kw, c)
  let ih = r.y + i32(d.x * u.dilationH); let iw = r.z + i32(d.y * u.dilationW);
  if (ih < 0 || iw < 0 || ih >= i32(u.inH) || iw >= i32(u.inW)) { return 0.0; }
  return a[((u32(r.x + ih)) * u.inW + u32(iw)) * u.inC + d.z];
}
fn loadB(batch: u32, k: u32, d: vec3<u32>, col: u32) -> f32 { return b[k * u.N + col]; }`,
  kRadices: ['u.kW', 'u.inC'],
  aAlongK: true,
  bAlongK: false,
};

// Input gradient: a = dy, b = w. A row of dŶ is an input pixel: RowA = (n, ih + padTop,
// iw + padLeft); k = (kh·kW + kw)·outC + co, and tap (kh, kw) reached it from output
// (oh, ow) = ((ih + padTop − kh·dilationH) / strideH, …) when that divides exactly. With
// stride 1 every tap divides: this is the forward convolution's read of dy with the taps
// flipped (a transposed convolution), and the division and its check drop out of the
// inner loop (integer division has no SIMD instruction on a CPU adapter).
function convBackpropInputSpec(unitStride: boolean): GemmSpec {
  const output = unitStride
    ? /* wgsl */ `
  let oh = r.y - i32(d.x * u.dilationH); let ow = r.z - i32(d.y * u.dilationW);
  if (oh < 0 || ow < 0 || oh >= i32(u.outH) || ow >= i32(u.outW)) { return 0.0; }
  return a[((u32(r.x) * u.outH + u32(oh)) * u.outW + u32(ow)) * u.outC + co];`
    : /* wgsl */ `
  let th = r.y - i32(d.x * u.dilationH); let tw = r.z - i32(d.y * u.dilationW);
  if (th < 0 || tw < 0) { return 0.0; }
  let oh = u32(th) / u.strideH; let ow = u32(tw) / u.strideW;
  if (oh * u.strideH != u32(th) || ow * u.strideW != u32(tw) || oh >= u.outH || ow >= u.outW) { return 0.0; }
  return a[((u32(r.x) * u.outH + oh) * u.outW + ow) * u.outC + co];`;
  return {
    key: unitStride ? 'conv2dBackpropInput/stride1' : 'conv2dBackpropInput',
    uniforms: CONV_UNIFORMS,
    inputs: TWO_INPUTS,
    loads: /* wgsl */ `
alias RowA = vec3<i32>;
fn rowA(batch: u32, row: u32) -> vec3<i32> {
  let iw = row % u.inW; let ih = (row / u.inW) % u.inH; let n = row / (u.inW * u.inH);
  return vec3<i32>(i32(n), i32(ih) + u.padTop, i32(iw) + u.padLeft);
}
fn loadA(r: vec3<i32>, k: u32, d: vec3<u32>) -> f32 { // d = (kh, kw, co)
  let co = d.z;${output}
}
fn loadB(batch: u32, k: u32, d: vec3<u32>, col: u32) -> f32 {
  return b[((d.x * u.kW + d.y) * u.inC + col) * u.outC + d.z];
}`,
    kRadices: ['u.kW', 'u.outC'],
    aAlongK: true,
    bAlongK: true,
  };
}
const CONV_BACKPROP_INPUT = [convBackpropInputSpec(false), convBackpropInputSpec(true)] as const;

// Filter gradient: a = x (read as X̂ᵀ), b = dy. A row of X̂ᵀ is a filter tap and channel:
// RowA = (kh·dilationH − padTop, kw·dilationW − padLeft, c); k = (n·outH + oh)·outW + ow.
const CONV_BACKPROP_FILTER: GemmSpec = {
  key: 'conv2dBackpropFilter',
  uniforms: CONV_UNIFORMS,
  inputs: TWO_INPUTS,
  loads: /* wgsl */ `
alias RowA = vec3<i32>;
fn rowA(batch: u32, row: u32) -> vec3<i32> {
  let c = row % u.inC; let kw = (row / u.inC) % u.kW; let kh = row / (u.inC * u.kW);
  return vec3<i32>(i32(kh * u.dilationH) - u.padTop, i32(kw * u.dilationW) - u.padLeft, i32(c));
}
fn loadA(r: vec3<i32>, k: u32, d: vec3<u32>) -> f32 { // d = (n, oh, ow)
  let ih = i32(d.y * u.strideH) + r.x; let iw = i32(d.z * u.strideW) + r.y;
  if (ih < 0 || iw < 0 || ih >= i32(u.inH) || iw >= i32(u.inW)) { return 0.0; }
  return a[((d.x * u.inH + u32(ih)) * u.inW + u32(iw)) * u.inC + u32(r.z)];
}
fn loadB(batch: u32, k: u32, d: vec3<u32>, col: u32) -> f32 { return b[k * u.N + col]; }`,
  kRadices: ['u.outH', 'u.outW'],
  aAlongK: false,
  bAlongK: false,
};

/** The WebGPU convolutions with an explicit GEMM schedule (tests run both). */
export function conv2dWebgpu(x: Tensor, w: Tensor, g: Conv2DInfo, variant: GemmVariant): Tensor {
  const sizes = { batch: 1, m: g.batch * g.outH * g.outW, n: g.outC, k: g.kH * g.kW * g.inC };
  return gemm(gpuDevice(x), CONV_FORWARD, variant, [x.storage, w.storage], [g.batch, g.outH, g.outW, g.outC], sizes, convUniforms(g));
}

export function conv2dBackpropInputWebgpu(dy: Tensor, w: Tensor, g: Conv2DInfo, variant: GemmVariant): Tensor {
  const sizes = { batch: 1, m: g.batch * g.inH * g.inW, n: g.inC, k: g.kH * g.kW * g.outC };
  const spec = CONV_BACKPROP_INPUT[g.strideH === 1 && g.strideW === 1 ? 1 : 0];
  return gemm(gpuDevice(dy), spec, variant, [dy.storage, w.storage], [g.batch, g.inH, g.inW, g.inC], sizes, convUniforms(g));
}

export function conv2dBackpropFilterWebgpu(x: Tensor, dy: Tensor, g: Conv2DInfo, variant: GemmVariant): Tensor {
  const sizes = { batch: 1, m: g.kH * g.kW * g.inC, n: g.outC, k: g.batch * g.outH * g.outW };
  return gemm(gpuDevice(x), CONV_BACKPROP_FILTER, variant, [x.storage, dy.storage], [g.kH, g.kW, g.inC, g.outC], sizes, convUniforms(g));
}
