// Dropout: in training, zeroes each element with probability `rate` and scales the rest
// by 1/(1 − rate); in evaluation, the identity. Each call draws a fresh mask from the
// layer's own seeded stream, so a run is reproducible from its seed.

import { TensorLoopError } from '../errors.js';
import { dropout } from '../ops/dropout.js';
import { Random, nextSeed } from '../random.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import { checkOptions } from '../options.js';

export class Dropout extends Module {
  private readonly random: Random;

  constructor(readonly rate: number, options: { seed?: number } = {}) {
    const { seed = nextSeed() } = checkOptions('Dropout', options, ['seed']);
    super();
    if (!(rate >= 0 && rate < 1)) throw new TensorLoopError(`Dropout: rate must be in [0, 1), got ${rate}`);
    this.random = new Random(seed);
  }

  /** Where the mask stream stands (an exact resume saves it, see src/loop/resume-state.ts). */
  randomState(): number {
    return this.random.state();
  }

  setRandomState(state: number): void {
    this.random.setState(state);
  }

  forward(x: Tensor): Tensor {
    this.assertInput(x);
    if (!this.training || this.rate === 0) return x;
    return dropout(x, this.rate, { seed: Math.floor(this.random.next() * 2 ** 32) });
  }
}
