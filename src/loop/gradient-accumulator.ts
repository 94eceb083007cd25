// `accumulateGradients: K`: the loop sums the gradients of K consecutive training batches
// and updates once with their mean, so K batches of n samples train like one batch of K·n
// (when the loss is a mean over the batch and the batches are equal in size). The last
// group of a phase may be shorter; it is averaged over what it holds. Batches that only
// add to the sum skip `updateStart` and the update (fastai's GradientAccumulation).

import { noGrad } from '../autodiff/tape.js';
import { TensorLoopError } from '../errors.js';
import { keep } from '../memory.js';
import { add, div } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';

export class GradientAccumulator {
  private total: Map<string, Tensor> | undefined;
  private count = 0;

  constructor(readonly every: number) {
    if (!(Number.isInteger(every) && every >= 1)) throw new TensorLoopError(`TrainingLoop: accumulateGradients must be an integer ≥ 1, got ${every}`);
  }

  /** Adds one batch's gradients. When `due`, returns the mean of the group (a tensor of
   * the current batch's scope) and starts a new group; else undefined. */
  add(gradients: Map<string, Tensor>, due: boolean): Map<string, Tensor> | undefined {
    const previous = this.total;
    this.total = noGrad(() => new Map([...gradients].map(([path, g]) => [path, keep(previous?.has(path) ? add(previous.get(path)!, g) : add(g, 0))])));
    for (const t of previous?.values() ?? []) t.dispose();
    this.count += 1;
    if (!due) return undefined;
    const count = this.count;
    const total = this.total;
    const mean = noGrad(() => new Map([...total].map(([path, g]) => [path, div(g, count)])));
    this.reset();
    return mean;
  }

  /** Drops a partial group (at the start of a phase and when fit ends). */
  reset(): void {
    for (const t of this.total?.values() ?? []) t.dispose();
    this.total = undefined;
    this.count = 0;
  }
}
