// 2-D convolution, NHWC input and HWIO filters (the TensorFlow layout), and its two
// gradients. Output position (oh, ow) reads input rows ih = oh·strideH - padTop + kh·dilationH
// (likewise for columns); positions that fall in the padding read zero.

import type { Tensor } from '../tensor.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';

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

/** y[n, oh, ow, co] = Σ_{kh, kw, c} x[n, ih, iw, c] · w[kh, kw, c, co]. The inner loop runs
 * along co, where both w and y are contiguous. */
export const conv2dKernel: Kernel<(x: Tensor, w: Tensor, info: Conv2DInfo) => Tensor> = {
  name: 'conv2d',
  cpu(x, w, g) {
    const X = cpuData(x) as Float32Array;
    const W = cpuData(w) as Float32Array;
    const Y = new Float32Array(g.batch * g.outH * g.outW * g.outC);
    for (let n = 0; n < g.batch; n++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          const yBase = ((n * g.outH + oh) * g.outW + ow) * g.outC;
          for (let kh = 0; kh < g.kH; kh++) {
            const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
            if (ih < 0 || ih >= g.inH) continue;
            for (let kw = 0; kw < g.kW; kw++) {
              const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
              if (iw < 0 || iw >= g.inW) continue;
              const xBase = ((n * g.inH + ih) * g.inW + iw) * g.inC;
              const wBase = (kh * g.kW + kw) * g.inC * g.outC;
              for (let c = 0; c < g.inC; c++) {
                const xv = X[xBase + c]!;
                const wRow = wBase + c * g.outC;
                for (let co = 0; co < g.outC; co++) Y[yBase + co]! += xv * W[wRow + co]!;
              }
            }
          }
        }
      }
    }
    return cpuTensor(Y, [g.batch, g.outH, g.outW, g.outC]);
  },
};

/** dx[n, ih, iw, c] = Σ over the outputs that read (ih, iw) of dy[n, oh, ow, co] · w[kh, kw, c, co]. */
export const conv2dBackpropInputKernel: Kernel<(dy: Tensor, w: Tensor, info: Conv2DInfo) => Tensor> = {
  name: 'conv2dBackpropInput',
  cpu(dy, w, g) {
    const DY = cpuData(dy) as Float32Array;
    const W = cpuData(w) as Float32Array;
    const DX = new Float32Array(g.batch * g.inH * g.inW * g.inC);
    for (let n = 0; n < g.batch; n++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          const dyBase = ((n * g.outH + oh) * g.outW + ow) * g.outC;
          for (let kh = 0; kh < g.kH; kh++) {
            const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
            if (ih < 0 || ih >= g.inH) continue;
            for (let kw = 0; kw < g.kW; kw++) {
              const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
              if (iw < 0 || iw >= g.inW) continue;
              const dxBase = ((n * g.inH + ih) * g.inW + iw) * g.inC;
              const wBase = (kh * g.kW + kw) * g.inC * g.outC;
              for (let c = 0; c < g.inC; c++) {
                const wRow = wBase + c * g.outC;
                let acc = 0;
                for (let co = 0; co < g.outC; co++) acc += DY[dyBase + co]! * W[wRow + co]!;
                DX[dxBase + c]! += acc;
              }
            }
          }
        }
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
    const DW = new Float32Array(g.kH * g.kW * g.inC * g.outC);
    for (let n = 0; n < g.batch; n++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          const dyBase = ((n * g.outH + oh) * g.outW + ow) * g.outC;
          for (let kh = 0; kh < g.kH; kh++) {
            const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
            if (ih < 0 || ih >= g.inH) continue;
            for (let kw = 0; kw < g.kW; kw++) {
              const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
              if (iw < 0 || iw >= g.inW) continue;
              const xBase = ((n * g.inH + ih) * g.inW + iw) * g.inC;
              const wBase = (kh * g.kW + kw) * g.inC * g.outC;
              for (let c = 0; c < g.inC; c++) {
                const xv = X[xBase + c]!;
                if (xv === 0) continue;
                const wRow = wBase + c * g.outC;
                for (let co = 0; co < g.outC; co++) DW[wRow + co]! += xv * DY[dyBase + co]!;
              }
            }
          }
        }
      }
    }
    return cpuTensor(DW, [g.kH, g.kW, g.inC, g.outC]);
  },
};
