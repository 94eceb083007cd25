// The convolutions on the CPU device through the WebAssembly SIMD GEMM (gemm.ts), as
// explicit im2col (im2col.ts): the input patches of all output pixels are written as one
// matrix into scratch in the runtime's memory (rows = output pixels n, oh, ow; columns = taps
// kh, kw and channels c; zero where a window hangs over the padding), then
//   forward          y  = patches · W                     (W as [kh·kw·inC, outC])
//   input gradient   dx = col2im(dy · Wᵀ)                 (each patch entry added back to its pixel)
//   filter gradient  dW = patchesᵀ · dy                   (patches read column-major)
// Returns null (the TypeScript reference runs) when WebAssembly is unavailable or the
// scratch would not fit.

import { cpu } from '../../device/cpu.js';
import { Tensor } from '../../tensor.js';
import type { Conv2DInfo } from '../conv.js';
import { runGemm } from './gemm.js';
import { patchArguments } from './im2col.js';
import { wasmKernels } from './module.js';
import { kernelOutput, operandAddress } from './operands.js';

/** Tap tables of recent geometries, for pooling (pool.ts; a training step meets each
 * geometry twice). */
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

export function conv2dWasm(x: Tensor, w: Tensor, g: Conv2DInfo): Tensor | null {
  const rt = wasmKernels();
  if (!rt) return null;
  const rows = g.batch * g.outH * g.outW;
  const K = g.kH * g.kW * g.inC;
  rt.reset();
  const patches = rt.alloc(4 * rows * K);
  const px = operandAddress(rt, x);
  const pw = operandAddress(rt, w);
  const out = patches < 0 || px < 0 || pw < 0 ? null : kernelOutput(rt, [g.batch, g.outH, g.outW, g.outC]);
  if (!out) return null;
  rt.exports.patches_gather!(px, patches, ...patchArguments(g));
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
  // dx accumulates: zeroed, in the heap when it has room, else in zeroed scratch copied out
  const size = g.batch * g.inH * g.inW * g.inC;
  const dx = cpu.allocate('float32', size);
  const inPlace = rt.tensorsInMemory && dx.address >= 0;
  const pdx = inPlace ? dx.address : rt.alloc(4 * size);
  if (pdx < 0) {
    cpu.release(dx);
    return null;
  }
  if (!inPlace) rt.f32().fill(0, pdx / 4, pdx / 4 + size);
  rt.exports.patches_scatter!(pdx, dPatches, ...patchArguments(g));
  if (!inPlace) dx.data.set(rt.f32().subarray(pdx / 4, pdx / 4 + size));
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
  const px = operandAddress(rt, x);
  const pdy = operandAddress(rt, dy);
  const out = patches < 0 || px < 0 || pdy < 0 ? null : kernelOutput(rt, [g.kH, g.kW, g.inC, g.outC]);
  if (!out) return null;
  rt.exports.patches_gather!(px, patches, ...patchArguments(g));
  const ok = runGemm(rt, { a: patches, lda: K, aLayout: 'columnMajor', b: pdy, ldb: g.outC, bLayout: 'rowMajor', c: out.address, ldc: g.outC }, K, g.outC, rows);
  const dw = out.finish();
  if (ok) return dw;
  dw.dispose();
  return null;
}
