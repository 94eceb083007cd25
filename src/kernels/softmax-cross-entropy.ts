// The fused softmax cross-entropy: one pass per row over the logits, never forming the
// softmax or the one-hot target in memory. Rows are [N, C] logits; the target of a row is
// either an int32 class label (target_c = [c = label]) or a float32 probability row,
// smoothed as target ← (1 − ε)·target + ε/C.
//   forward:  loss_n = Σ_c t_c · (lse_n − x_c),   lse_n = m + log Σ_c e^{x_c − m}, m = max_c x_c
//   backward: dx_{n,c} = dy_n · (softmax_c · Σ_c' t_c' − t_c)   (= softmax − target when
//             the target row sums to 1, as every label and probability row does)
// The composite definition −Σ t · logSoftmax(x) is what test/losses holds both to.
// The op (src/losses/softmax-cross-entropy.ts) checks labels are in [0, C) before calling.

import type { Tensor } from '../tensor.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';

export interface SoftmaxCrossEntropyInfo {
  rows: number;
  classes: number;
  /** ε of label smoothing, in [0, 1). */
  labelSmoothing: number;
}

/** Calls visit(c, t_c) for every class of row n; returns Σ_c t_c. */
function forEachTarget(labels: Tensor, n: number, info: SoftmaxCrossEntropyInfo, visit: (c: number, t: number) => void): number {
  const { classes: C, labelSmoothing: eps } = info;
  const data = cpuData(labels);
  let total = 0;
  if (labels.dtype === 'int32') {
    const label = data[n]!;
    for (let c = 0; c < C; c++) {
      const t = (c === label ? 1 - eps : 0) + eps / C;
      total += t;
      visit(c, t);
    }
  } else {
    for (let c = 0; c < C; c++) {
      const t = (1 - eps) * data[n * C + c]! + eps / C;
      total += t;
      visit(c, t);
    }
  }
  return total;
}

/** Row n: m = max, lse = m + log Σ e^{x − m} (float64 accumulation). */
function logSumExpRow(x: ArrayLike<number>, base: number, C: number): number {
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, x[base + c]!);
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(x[base + c]! - m);
  return m + Math.log(s);
}

/** One output per row: the cross-entropy loss of that row. */
export const softmaxCrossEntropyKernel: Kernel<(logits: Tensor, labels: Tensor, info: SoftmaxCrossEntropyInfo) => Tensor> = {
  name: 'softmaxCrossEntropy',
  cpu(logits, labels, info) {
    const x = cpuData(logits);
    const out = new Float32Array(info.rows);
    for (let n = 0; n < info.rows; n++) {
      const base = n * info.classes;
      const lse = logSumExpRow(x, base, info.classes);
      let loss = 0;
      forEachTarget(labels, n, info, (c, t) => {
        if (t !== 0) loss += t * (lse - x[base + c]!);
      });
      out[n] = loss;
    }
    return cpuTensor(out, [info.rows]);
  },
};

/** One output per logit: dy_n · (softmax_c · Σt − t_c). */
export const softmaxCrossEntropyGradKernel: Kernel<(logits: Tensor, labels: Tensor, dy: Tensor, info: SoftmaxCrossEntropyInfo) => Tensor> = {
  name: 'softmaxCrossEntropyGrad',
  cpu(logits, labels, dy, info) {
    const x = cpuData(logits);
    const g = cpuData(dy);
    const C = info.classes;
    const out = new Float32Array(info.rows * C);
    for (let n = 0; n < info.rows; n++) {
      const base = n * C;
      const lse = logSumExpRow(x, base, C);
      const total = forEachTarget(labels, n, info, (c, t) => {
        out[base + c] = -t;
      });
      for (let c = 0; c < C; c++) out[base + c] = g[n]! * (Math.exp(x[base + c]! - lse) * total + out[base + c]!);
    }
    return cpuTensor(out, [info.rows, C]);
  },
};
