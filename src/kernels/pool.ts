// 2-D max and average pooling over NHWC windows, and their gradients. The geometry is a
// Conv2DInfo with inC = outC = channels (pooling is a per-channel "convolution").

import type { Tensor } from '../tensor.js';
import type { Conv2DInfo } from './conv.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';

export type PoolOp = 'max' | 'avg';

/** Calls visit(inputIndex) for each in-bounds element of the window of output (n, oh, ow)
 * at channel 0; the caller adds the channel. */
function forEachInWindow(g: Conv2DInfo, n: number, oh: number, ow: number, visit: (xBase: number) => void): void {
  for (let kh = 0; kh < g.kH; kh++) {
    const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
    if (ih < 0 || ih >= g.inH) continue;
    for (let kw = 0; kw < g.kW; kw++) {
      const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
      if (iw < 0 || iw >= g.inW) continue;
      visit(((n * g.inH + ih) * g.inW + iw) * g.inC);
    }
  }
}

/** y[n, oh, ow, c] = max (or mean) of x over the window's in-bounds elements (padding is
 * ignored, not counted as zeros). */
export const pool2dKernel: Kernel<(op: PoolOp, x: Tensor, info: Conv2DInfo) => Tensor> = {
  name: 'pool2d',
  cpu(op, x, g) {
    const X = cpuData(x) as Float32Array;
    const C = g.inC;
    const Y = new Float32Array(g.batch * g.outH * g.outW * C);
    const acc = new Float64Array(C);
    for (let n = 0; n < g.batch; n++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          acc.fill(op === 'max' ? -Infinity : 0);
          let count = 0;
          forEachInWindow(g, n, oh, ow, (xBase) => {
            count++;
            for (let c = 0; c < C; c++) acc[c] = op === 'max' ? Math.max(acc[c]!, X[xBase + c]!) : acc[c]! + X[xBase + c]!;
          });
          const yBase = ((n * g.outH + oh) * g.outW + ow) * C;
          for (let c = 0; c < C; c++) Y[yBase + c] = op === 'max' ? acc[c]! : acc[c]! / Math.max(count, 1);
        }
      }
    }
    return cpuTensor(Y, [g.batch, g.outH, g.outW, C]);
  },
};

/** dx: max pooling sends dy[n, oh, ow, c] to the window's first maximum; average pooling
 * shares it equally among the window's in-bounds elements. */
export const pool2dBackwardKernel: Kernel<(op: PoolOp, dy: Tensor, x: Tensor, info: Conv2DInfo) => Tensor> = {
  name: 'pool2dBackward',
  cpu(op, dy, x, g) {
    const X = cpuData(x) as Float32Array;
    const DY = cpuData(dy) as Float32Array;
    const C = g.inC;
    const DX = new Float32Array(x.size);
    const best = new Float32Array(C);
    const at = new Int32Array(C);
    for (let n = 0; n < g.batch; n++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          const yBase = ((n * g.outH + oh) * g.outW + ow) * C;
          if (op === 'max') {
            best.fill(-Infinity);
            at.fill(-1);
            forEachInWindow(g, n, oh, ow, (xBase) => {
              for (let c = 0; c < C; c++) {
                if (X[xBase + c]! > best[c]! || at[c] === -1) {
                  best[c] = X[xBase + c]!;
                  at[c] = xBase + c;
                }
              }
            });
            for (let c = 0; c < C; c++) if (at[c]! >= 0) DX[at[c]!]! += DY[yBase + c]!;
          } else {
            let count = 0;
            forEachInWindow(g, n, oh, ow, () => count++);
            forEachInWindow(g, n, oh, ow, (xBase) => {
              for (let c = 0; c < C; c++) DX[xBase + c]! += DY[yBase + c]! / count;
            });
          }
        }
      }
    }
    return cpuTensor(DX, x.shape);
  },
};
