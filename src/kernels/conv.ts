// 2-D convolution, NHWC input and HWIO filters (the TensorFlow layout), and its two
// gradients. Output position (oh, ow) reads input rows ih = oh·strideH - padTop + kh·dilationH
// (likewise for columns); positions that fall in the padding read zero.

import type { Tensor } from '../tensor.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';
import { multiplyRowMajor } from './matmul.js';

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

/** Calls visit(patchColumn, inputIndex) for each in-bounds (kh, kw) of output pixel `row`;
 * both indices point at channel 0 (inC contiguous values follow). */
function forEachTap(g: Conv2DInfo, row: number, visit: (patchColumn: number, inputIndex: number) => void): void {
  const ow = row % g.outW;
  const oh = Math.floor(row / g.outW) % g.outH;
  const n = Math.floor(row / (g.outW * g.outH));
  for (let kh = 0; kh < g.kH; kh++) {
    const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
    if (ih < 0 || ih >= g.inH) continue;
    for (let kw = 0; kw < g.kW; kw++) {
      const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
      if (iw < 0 || iw >= g.inW) continue;
      visit((kh * g.kW + kw) * g.inC, ((n * g.inH + ih) * g.inW + iw) * g.inC);
    }
  }
}

/** Fills `patches` [rows, K] with the input patches of output pixels r0 … r0+rows-1. */
function gatherPatches(X: Float32Array, g: Conv2DInfo, r0: number, rows: number, patches: Float32Array): void {
  const K = g.kH * g.kW * g.inC;
  patches.fill(0);
  for (let r = 0; r < rows; r++) {
    forEachTap(g, r0 + r, (column, input) => patches.set(X.subarray(input, input + g.inC), r * K + column));
  }
}

function transposeMatrix(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!;
  return out;
}

/** y[n, oh, ow, co] = Σ_{kh, kw, c} x[n, ih, iw, c] · w[kh, kw, c, co]. The inner loop runs
 * along co, where both w and y are contiguous. */
export const conv2dKernel: Kernel<(x: Tensor, w: Tensor, info: Conv2DInfo) => Tensor> = {
  name: 'conv2d',
  cpu(x, w, g) {
    const X = cpuData(x) as Float32Array;
    const W = cpuData(w) as Float32Array; // [K, outC]
    const K = g.kH * g.kW * g.inC;
    const rows = g.batch * g.outH * g.outW;
    const Y = new Float32Array(rows * g.outC);
    const patches = new Float32Array(ROWS_PER_CHUNK * K);
    for (let r0 = 0; r0 < rows; r0 += ROWS_PER_CHUNK) {
      const count = Math.min(ROWS_PER_CHUNK, rows - r0);
      gatherPatches(X, g, r0, count, patches);
      multiplyRowMajor(patches, 0, W, 0, Y, r0 * g.outC, count, g.outC, K);
    }
    return cpuTensor(Y, [g.batch, g.outH, g.outW, g.outC]);
  },
};

/** dx[n, ih, iw, c] = Σ over the outputs that read (ih, iw) of dy[n, oh, ow, co] · w[kh, kw, c, co]. */
export const conv2dBackpropInputKernel: Kernel<(dy: Tensor, w: Tensor, info: Conv2DInfo) => Tensor> = {
  name: 'conv2dBackpropInput',
  cpu(dy, w, g) {
    const DY = cpuData(dy) as Float32Array;
    const K = g.kH * g.kW * g.inC;
    const WT = transposeMatrix(cpuData(w) as Float32Array, K, g.outC); // [outC, K]
    const rows = g.batch * g.outH * g.outW;
    const DX = new Float32Array(g.batch * g.inH * g.inW * g.inC);
    const dPatches = new Float32Array(ROWS_PER_CHUNK * K);
    for (let r0 = 0; r0 < rows; r0 += ROWS_PER_CHUNK) {
      const count = Math.min(ROWS_PER_CHUNK, rows - r0);
      dPatches.fill(0);
      multiplyRowMajor(DY, r0 * g.outC, WT, 0, dPatches, 0, count, K, g.outC); // dPatches = dy · Wᵀ
      for (let r = 0; r < count; r++) {
        forEachTap(g, r0 + r, (column, input) => {
          for (let c = 0; c < g.inC; c++) DX[input + c]! += dPatches[r * K + column + c]!;
        });
      }
    }
    return cpuTensor(DX, [g.batch, g.inH, g.inW, g.inC]);
  },
};

/** dw[kh, kw, c, co] = Σ_{n, oh, ow} x[n, ih, iw, c] · dy[n, oh, ow, co]. */
export const conv2dBackpropFilterKernel: Kernel<(x: Tensor, dy: Tensor, info: Conv2DInfo) => Tensor> = {
  name: 'conv2dBackpropFilter',
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
      const patchesT = transposeMatrix(patches.subarray(0, count * K), count, K); // [K, count]
      multiplyRowMajor(patchesT, 0, DY, r0 * g.outC, DW, 0, K, g.outC, count); // dW += patchesᵀ · dy
    }
    return cpuTensor(DW, [g.kH, g.kW, g.inC, g.outC]);
  },
};
