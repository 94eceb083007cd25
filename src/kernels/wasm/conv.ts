// The convolutions on the CPU device through the WebAssembly SIMD GEMM (gemm.ts), as
// explicit im2col: the input patches of all output pixels are written as one matrix
// straight into the runtime's memory (rows = output pixels n, oh, ow; columns = taps
// kh, kw and channels c; zero where a window hangs over the padding), then
//   forward          y  = patches · W                     (W as [kh·kw·inC, outC])
//   input gradient   dx = col2im(dy · Wᵀ)                 (each patch entry added back to its pixel)
//   filter gradient  dW = patchesᵀ · dy                   (patches read column-major)
// Returns null (the TypeScript reference runs) when WebAssembly is unavailable or the
// scratch would not fit.

import type { Tensor } from '../../tensor.js';
import type { Conv2DInfo } from '../conv.js';
import { cpuData, cpuTensor } from '../kernel.js';
import { gemmRegions, readC, runGemm, transposeInto } from './gemm.js';
import { wasmKernels } from './module.js';

/** Tap tables of recent geometries (a training step meets each conv's geometry 2–3 times). */
const tapTables = new Map<string, Int32Array>();
const TAP_TABLES_KEPT = 8;

/** For output pixel `row` (n, oh, ow) and tap t = kh·kW + kw, entry row·taps + t holds the
 * index of channel 0 of the input pixel the tap reads, or -1 where it falls in the padding. */
function tapTable(g: Conv2DInfo): Int32Array {
  const key = JSON.stringify(g);
  const cached = tapTables.get(key);
  if (cached) return cached;
  const taps = g.kH * g.kW;
  const table = new Int32Array(g.batch * g.outH * g.outW * taps);
  let t = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        for (let kh = 0; kh < g.kH; kh++) {
          const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
          for (let kw = 0; kw < g.kW; kw++, t++) {
            const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
            table[t] = ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW ? ((n * g.inH + ih) * g.inW + iw) * g.inC : -1;
          }
        }
      }
    }
  }
  if (tapTables.size >= TAP_TABLES_KEPT) tapTables.delete(tapTables.keys().next().value!);
  tapTables.set(key, table);
  return table;
}

/** Writes the patch matrix [rows × K] of input X at element index `at` of memory. */
function writePatches(X: Float32Array, g: Conv2DInfo, memory: Float32Array, at: number): void {
  const table = tapTable(g);
  const inC = g.inC;
  for (let t = 0, dst = at; t < table.length; t++, dst += inC) {
    const input = table[t]!;
    if (input < 0) for (let c = 0; c < inC; c++) memory[dst + c] = 0;
    else for (let c = 0; c < inC; c++) memory[dst + c] = X[input + c]!;
  }
}

/** Adds each entry of the patch-gradient matrix (at element `at`, row stride `rowStride`)
 * back into the input pixel it was read from (the transpose of writePatches). */
function addPatchesBack(memory: Float32Array, at: number, rowStride: number, g: Conv2DInfo, DX: Float32Array): void {
  const table = tapTable(g);
  const taps = g.kH * g.kW;
  const inC = g.inC;
  for (let t = 0; t < table.length; t++) {
    const input = table[t]!;
    if (input < 0) continue;
    const src = at + Math.floor(t / taps) * rowStride + (t % taps) * inC;
    for (let c = 0; c < inC; c++) DX[input + c]! += memory[src + c]!;
  }
}

export function conv2dWasm(x: Tensor, w: Tensor, g: Conv2DInfo): Tensor | null {
  const rt = wasmKernels();
  if (!rt) return null;
  const rows = g.batch * g.outH * g.outW;
  const K = g.kH * g.kW * g.inC;
  rt.reset();
  const regions = gemmRegions(rt, 'rowMajor', rows, g.outC, K);
  if (!regions) return null;
  const memory = rt.f32();
  writePatches(cpuData(x) as Float32Array, g, memory, regions.a / 4);
  memory.set(cpuData(w) as Float32Array, regions.b / 4);
  runGemm(rt, regions, rows, g.outC, K);
  const Y = new Float32Array(rows * g.outC);
  readC(memory, regions, rows, g.outC, Y, 0);
  return cpuTensor(Y, [g.batch, g.outH, g.outW, g.outC]);
}

export function conv2dBackpropInputWasm(dy: Tensor, w: Tensor, g: Conv2DInfo): Tensor | null {
  const rt = wasmKernels();
  if (!rt) return null;
  const rows = g.batch * g.outH * g.outW;
  const K = g.kH * g.kW * g.inC;
  rt.reset();
  const regions = gemmRegions(rt, 'rowMajor', rows, K, g.outC); // dPatches = dy · Wᵀ
  if (!regions) return null;
  const memory = rt.f32();
  memory.set(cpuData(dy) as Float32Array, regions.a / 4);
  transposeInto(cpuData(w) as Float32Array, 0, K, g.outC, memory, regions.b / 4);
  runGemm(rt, regions, rows, K, g.outC);
  const DX = new Float32Array(g.batch * g.inH * g.inW * g.inC);
  addPatchesBack(memory, regions.c / 4, regions.ldc, g, DX);
  return cpuTensor(DX, [g.batch, g.inH, g.inW, g.inC]);
}

export function conv2dBackpropFilterWasm(x: Tensor, dy: Tensor, g: Conv2DInfo): Tensor | null {
  const rt = wasmKernels();
  if (!rt) return null;
  const rows = g.batch * g.outH * g.outW;
  const K = g.kH * g.kW * g.inC;
  rt.reset();
  // dW [K × outC] = patchesᵀ · dy: the patch matrix [rows × K] is Aᵀ, i.e. A column-major
  const regions = gemmRegions(rt, 'columnMajor', K, g.outC, rows);
  if (!regions) return null;
  const memory = rt.f32();
  writePatches(cpuData(x) as Float32Array, g, memory, regions.a / 4);
  memory.set(cpuData(dy) as Float32Array, regions.b / 4);
  runGemm(rt, regions, K, g.outC, rows);
  const DW = new Float32Array(K * g.outC);
  readC(memory, regions, K, g.outC, DW, 0);
  return cpuTensor(DW, [g.kH, g.kW, g.inC, g.outC]);
}
