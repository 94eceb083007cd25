// The convolutions on the CPU device through the WebAssembly SIMD GEMM (gemm.ts), as
// explicit im2col: the input patches of all output pixels are written as one matrix
// into scratch in the runtime's memory (rows = output pixels n, oh, ow; columns = taps
// kh, kw and channels c; zero where a window hangs over the padding), then
//   forward          y  = patches · W                     (W as [kh·kw·inC, outC])
//   input gradient   dx = col2im(dy · Wᵀ)                 (each patch entry added back to its pixel)
//   filter gradient  dW = patchesᵀ · dy                   (patches read column-major)
// Returns null (the TypeScript reference runs) when WebAssembly is unavailable or the
// scratch would not fit.

import { cpu } from '../../device/cpu.js';
import { Tensor } from '../../tensor.js';
import type { Conv2DInfo } from '../conv.js';
import { cpuData } from '../kernel.js';
import { runGemm } from './gemm.js';
import { wasmKernels } from './module.js';
import { kernelOutput, operandAddress } from './operands.js';

/** Tap tables of recent geometries (a training step meets each conv's geometry 2–3 times). */
const tapTables = new Map<string, Int32Array>();
const TAP_TABLES_KEPT = 8;

/** For output pixel `row` (n, oh, ow) and tap t = kh·kW + kw, entry row·taps + t holds the
 * index of channel 0 of the input pixel the tap reads, or -1 where it falls in the padding. */
export function tapTable(g: Conv2DInfo): Int32Array {
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
  const patches = rt.alloc(4 * rows * K);
  const pw = operandAddress(rt, w);
  const out = patches < 0 || pw < 0 ? null : kernelOutput(rt, [g.batch, g.outH, g.outW, g.outC]);
  if (!out) return null;
  writePatches(cpuData(x) as Float32Array, g, rt.f32(), patches / 4);
  const ok = runGemm(rt, { a: patches, lda: K, aLayout: 'rowMajor', b: pw, ldb: g.outC, bLayout: 'rowMajor', c: out.address, ldc: g.outC }, rows, g.outC, K);
  const y = out.finish();
  if (ok) return y;
  y.dispose();
  return null;
}

export function conv2dBackpropInputWasm(dy: Tensor, w: Tensor, g: Conv2DInfo): Tensor | null {
  const rt = wasmKernels();
  if (!rt) return null;
  const rows = g.batch * g.outH * g.outW;
  const K = g.kH * g.kW * g.inC;
  rt.reset();
  // dPatches [rows × K] = dy · Wᵀ: W [K × outC] is the transposed layout of Wᵀ
  const dPatches = rt.alloc(4 * rows * K);
  const pdy = operandAddress(rt, dy);
  const pw = operandAddress(rt, w);
  if (dPatches < 0 || pdy < 0 || pw < 0) return null;
  if (!runGemm(rt, { a: pdy, lda: g.outC, aLayout: 'rowMajor', b: pw, ldb: g.outC, bLayout: 'transposed', c: dPatches, ldc: K }, rows, K, g.outC)) return null;
  const dx = cpu.allocate('float32', g.batch * g.inH * g.inW * g.inC);
  addPatchesBack(rt.f32(), dPatches / 4, K, g, dx.data as Float32Array);
  return new Tensor([g.batch, g.inH, g.inW, g.inC], 'float32', cpu, dx);
}

export function conv2dBackpropFilterWasm(x: Tensor, dy: Tensor, g: Conv2DInfo): Tensor | null {
  const rt = wasmKernels();
  if (!rt) return null;
  const rows = g.batch * g.outH * g.outW;
  const K = g.kH * g.kW * g.inC;
  rt.reset();
  // dW [K × outC] = patchesᵀ · dy: the patch matrix [rows × K] is Aᵀ, i.e. A column-major
  const patches = rt.alloc(4 * rows * K);
  const pdy = operandAddress(rt, dy);
  const out = patches < 0 || pdy < 0 ? null : kernelOutput(rt, [g.kH, g.kW, g.inC, g.outC]);
  if (!out) return null;
  writePatches(cpuData(x) as Float32Array, g, rt.f32(), patches / 4);
  const ok = runGemm(rt, { a: patches, lda: K, aLayout: 'columnMajor', b: pdy, ldb: g.outC, bLayout: 'rowMajor', c: out.address, ldc: g.outC }, K, g.outC, rows);
  const dw = out.finish();
  if (ok) return dw;
  dw.dispose();
  return null;
}
