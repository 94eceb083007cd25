// `validationSplit(samples, fraction, {seed})`: splits in-memory samples into a training
// and a validation part, after one seeded shuffle, so the two never share a sample:
//   const { training, validation } = validationSplit(samples, 0.1, { seed: 1 });
//   new TrainingEpochs(training, {batchSize}); inBatches(validation, batchSize)
// Each part is a SampleSource that makes its batches through the original's makeBatch.

import { TensorLoopError } from '../errors.js';
import { Random } from '../random.js';
import type { LabeledBatch } from './batches.js';
import type { SampleSource } from './epochs.js';

/** The samples of `source` at `indices`, in that order. */
export class SampleSubset implements SampleSource {
  readonly count: number;
  constructor(
    readonly source: SampleSource,
    readonly indices: Int32Array,
  ) {
    this.count = indices.length;
  }

  makeBatch(indices: ArrayLike<number>): LabeledBatch {
    return this.source.makeBatch(Int32Array.from(indices, (i) => this.indices[i]!));
  }
}

export function validationSplit(samples: SampleSource, fraction: number, { seed = 0 }: { seed?: number } = {}): { training: SampleSubset; validation: SampleSubset } {
  if (!(fraction > 0 && fraction < 1)) throw new TensorLoopError(`validationSplit: fraction must be in (0, 1), got ${fraction}`);
  const validationCount = Math.round(samples.count * fraction);
  if (validationCount < 1 || validationCount >= samples.count) {
    throw new TensorLoopError(`validationSplit: ${fraction} of ${samples.count} samples leaves ${validationCount} for validation and ${samples.count - validationCount} for training; both need at least one`);
  }
  const order = Int32Array.from({ length: samples.count }, (_, i) => i);
  new Random(seed).shuffle(order);
  return { training: new SampleSubset(samples, order.slice(validationCount)), validation: new SampleSubset(samples, order.slice(0, validationCount)) };
}
