// The loop's checks of what it is given: `training` must yield one collection of batches
// per epoch (a flat list of batches is the usual slip), and a batch is `{data, label}`.

import type { BatchCollection, LabeledBatch } from '../data/batches.js';
import { TensorLoopError } from '../errors.js';
import type { Tensor } from '../tensor.js';

export function isTensorLike(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && (x as { isTensor?: boolean }).isTensor === true;
}

export function isBatchLike(x: unknown): boolean {
  return typeof x === 'object' && x !== null && isTensorLike((x as LabeledBatch).data);
}

/** `training` must yield collections of batches; a flat list of batches is the usual slip. */
export function checkTraining(training: unknown): asserts training is Iterable<BatchCollection<LabeledBatch>> {
  if (!training || typeof (training as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TensorLoopError('TrainingLoop: `training` must be an iterable of epochs (e.g. dataset.training)');
  }
  if (Array.isArray(training) && isBatchLike(training[0])) {
    throw new TensorLoopError(
      `TrainingLoop: \`training\` is a flat list of ${training.length} batches, but it must hold one collection of batches per epoch ` +
        '(e.g. dataset.training, a TrainingEpochs); for the same batches every epoch pass Array.from({length: epochs}, () => batches)',
    );
  }
}

export function checkEpoch(epoch: unknown, index: number): void {
  if (isBatchLike(epoch) || !epoch || typeof (epoch as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TensorLoopError(`TrainingLoop.fit: epoch ${index} of \`training\` is not a collection of batches; \`training\` must yield one collection of batches per epoch (e.g. a TrainingEpochs)`);
  }
}
