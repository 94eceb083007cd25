// Reductions over the last axis of an [outer, inner] view: the op layer first moves the
// reduced axes to the end (a transpose, skipped when they already are), so one kernel
// serves sum, max, min, argmax and argmin over any set of axes.

import { typedArrayFor } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';

export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin';

/** out[o] = reduce(x[o*inner .. o*inner+inner)); arg ops give the first index found. */
export const reduceKernel: Kernel<(op: ReduceOp, x: Tensor, outer: number, inner: number) => Tensor> = {
  name: 'reduce',
  cpu(op, x, outer, inner) {
    const input = cpuData(x);
    const out = typedArrayFor(op === 'argmax' || op === 'argmin' ? 'int32' : x.dtype, outer);
    for (let o = 0; o < outer; o++) {
      const base = o * inner;
      if (op === 'sum') {
        let acc = 0; // float64 accumulator: the reference is more exact than the GPU's tree
        for (let i = 0; i < inner; i++) acc += input[base + i]!;
        out[o] = acc;
      } else if (op === 'max' || op === 'min') {
        let best = op === 'max' ? -Infinity : Infinity;
        for (let i = 0; i < inner; i++) {
          const v = input[base + i]!;
          if (op === 'max' ? v > best || Number.isNaN(v) : v < best || Number.isNaN(v)) best = v;
          if (Number.isNaN(best)) break;
        }
        out[o] = best;
      } else {
        let best = input[base]!;
        let at = 0;
        for (let i = 1; i < inner; i++) {
          const v = input[base + i]!;
          if (op === 'argmax' ? v > best : v < best) {
            best = v;
            at = i;
          }
        }
        out[o] = at;
      }
    }
    return cpuTensor(out, [outer]);
  },
};
