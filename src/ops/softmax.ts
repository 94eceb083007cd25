// softmax, logSoftmax and logSumExp: composites built from primitives (so they need no
// gradient code), all shifted by the row max for stability.

import { noGrad } from '../autodiff/tape.js';
import type { Tensor } from '../tensor.js';
import { abs, add, div, equal, exp, log, sub, where } from './elementwise.js';
import { max, sum } from './reduce.js';
import { reshape } from './movement.js';
import { assertFloat, assertTensor, composite, normalizeAxis } from './util.js';

/** The row max, as a constant: subtracting any constant leaves softmax unchanged, so no
 * gradient needs to flow through it. */
function shift(x: Tensor, axis: number): Tensor {
  return noGrad(() => max(x, axis, { keepDims: true }));
}

/** softmax(x)_i = e^{x_i - m} / Σ_j e^{x_j - m}, with m the max along `axis`. */
export function softmax(x: Tensor, axis = -1): Tensor {
  assertTensor('softmax', x);
  assertFloat('softmax', x);
  const ax = normalizeAxis('softmax', axis, x.rank);
  return composite(() => {
    const e = exp(sub(x, shift(x, ax)));
    return div(e, sum(e, ax, { keepDims: true }));
  });
}

/** logSoftmax(x)_i = (x_i - m) - log Σ_j e^{x_j - m}: never takes the log of 0. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  assertTensor('logSoftmax', x);
  assertFloat('logSoftmax', x);
  const ax = normalizeAxis('logSoftmax', axis, x.rank);
  return composite(() => {
    const z = sub(x, shift(x, ax));
    return sub(z, log(sum(exp(z), ax, { keepDims: true })));
  });
}

/** log Σ e^x along `axis`, computed as m + log Σ e^{x - m}. An infinite row max shifts by
 * 0 instead (as PyTorch), so a row of −Inf gives −Inf and a row holding +Inf gives +Inf
 * rather than the NaN of ∞ − ∞. */
export function logSumExp(x: Tensor, axis = -1, { keepDims = false } = {}): Tensor {
  assertTensor('logSumExp', x);
  assertFloat('logSumExp', x);
  const ax = normalizeAxis('logSumExp', axis, x.rank);
  return composite(() => {
    const m = noGrad(() => {
      const rowMax = shift(x, ax);
      return where(equal(abs(rowMax), Infinity), 0, rowMax);
    });
    const out = add(m, log(sum(exp(sub(x, m)), ax, { keepDims: true })));
    return keepDims ? out : reshape(out, x.shape.filter((_, i) => i !== ax));
  });
}
