// dropout(x, rate): inverted dropout as a composite of a seeded uniform mask and a multiply
// (no gradient code; the same seed drops the same elements on every device).

import { TensorLoopError } from '../errors.js';
import { checkOptions } from '../options.js';
import { randu, type Tensor } from '../tensor.js';
import { greaterEqual, mul } from './elementwise.js';
import { assertFloat, assertTensor, composite } from './util.js';

export interface DropoutOptions {
  /** Seed of the mask; the same seed drops the same elements on every device. */
  seed?: number;
}

/** Zeroes each element with probability `rate` and scales the rest by 1/(1 - rate)
 * (inverted dropout, so evaluation needs no rescaling). */
export function dropout(x: Tensor, rate: number, options: DropoutOptions = {}): Tensor {
  const { seed } = checkOptions('dropout', options, ['seed']);
  assertTensor('dropout', x);
  assertFloat('dropout', x);
  if (!(rate >= 0 && rate < 1)) throw new TensorLoopError(`dropout: rate must be in [0, 1), got ${rate}`);
  if (rate === 0) return x;
  return composite(() => {
    const keepMask = greaterEqual(randu(x.shape, { seed, device: x.device }), rate);
    return mul(x, mul(keepMask, 1 / (1 - rate)));
  });
}
