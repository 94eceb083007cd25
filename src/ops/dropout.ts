// dropout(x, rate): inverted dropout, its mask drawn on the tensor's device from a
// counter-based generator (src/kernels/dropout.ts), so the same seed drops the same elements
// on every device and nothing is uploaded. Its gradient is the same mask applied to dy,
// recomputed from the seed.

import { TensorLoopError } from '../errors.js';
import { dropoutKernel } from '../kernels/dropout.js';
import { kernelFor } from '../kernels/kernel.js';
import { checkOptions } from '../options.js';
import { record } from '../autodiff/tape.js';
import { nextSeed } from '../random.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, assertTensor } from './util.js';

export interface DropoutOptions {
  /** Seed of the mask; the same seed drops the same elements on every device. */
  seed?: number;
}

/** Zeroes each element with probability `rate` and scales the rest by 1/(1 - rate)
 * (inverted dropout, so evaluation needs no rescaling). */
export function dropout(x: Tensor, rate: number, options: DropoutOptions = {}): Tensor {
  const { seed = nextSeed() } = checkOptions('dropout', options, ['seed']);
  assertTensor('dropout', x);
  assertFloat('dropout', x);
  if (!(rate >= 0 && rate < 1)) throw new TensorLoopError(`dropout: rate must be in [0, 1), got ${rate}`);
  if (rate === 0) return x;
  return masked(x, rate, seed >>> 0);
}

/** x times the mask of (rate, seed) over 1 - rate; its gradient is the same map of dy. */
function masked(x: Tensor, rate: number, seed: number): Tensor {
  const threshold = Math.round(rate * 2 ** 24);
  const y = kernelFor(dropoutKernel, x.device)(x, seed, threshold, Math.fround(1 / (1 - rate)));
  record('dropout', [x], y, (dy) => [masked(dy, rate, seed)]);
  return y;
}
