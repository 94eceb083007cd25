// The loop option `classWeight` (Keras' name) for imbalanced classes: a weight per class,
// `[1, 5]` or Keras' `{0: 1, 1: 5}`, applied to the training loss through
// softmaxCrossEntropy's `weight` option, PyTorch's CrossEntropyLoss(weight=): the batch
// loss is Σ w[y_n]·l_n / Σ w[y_n]. (Keras scales each sample by its class's weight and
// divides by the batch size instead; the weighted mean keeps the loss's scale, and so the
// learning rate's meaning, whatever the weights.) As in Keras, only training uses the
// weights: the validation loss stays the plain mean, comparable across runs.

import { TensorLoopError } from '../errors.js';
import { softmaxCrossEntropy } from '../ops/softmax-cross-entropy.js';
import type { Tensor } from '../tensor.js';

/** One weight per class: an array, or an object keyed 0 … C−1 (Keras' dict). */
export type ClassWeight = readonly number[] | Readonly<Record<number, number>>;

/** The weights as a list indexed by class, checked: every class 0 … C−1 present, each a finite number ≥ 0. */
export function classWeightList(classWeight: ClassWeight): number[] {
  const owner = 'TrainingLoop: classWeight';
  if (!classWeight || typeof classWeight !== 'object') throw new TensorLoopError(`${owner} must be an array or an object {class: weight}, got ${String(classWeight)}`);
  let weights: unknown[];
  if (Array.isArray(classWeight)) {
    weights = classWeight;
  } else {
    const keys = Object.keys(classWeight);
    const bad = keys.find((k) => !/^(0|[1-9]\d*)$/.test(k) || Number(k) >= keys.length);
    if (bad !== undefined) throw new TensorLoopError(`${owner}: the keys must be the classes 0 … ${keys.length - 1}, each once; got '${bad}'`);
    weights = keys.map((_, c) => (classWeight as Record<number, number>)[c]);
  }
  if (weights.length === 0) throw new TensorLoopError(`${owner} is empty`);
  weights.forEach((w, c) => {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new TensorLoopError(`${owner}: the weight of class ${c} must be a finite number ≥ 0, got ${String(w)}`);
  });
  return weights as number[];
}

/** softmaxCrossEntropy with the class weights while `isTraining()`, plain otherwise. */
export function classWeightedLoss(lossFunction: unknown, weights: readonly number[], isTraining: () => boolean): (output: Tensor, target: Tensor) => Tensor {
  if (lossFunction !== softmaxCrossEntropy) {
    throw new TensorLoopError(
      'TrainingLoop: classWeight needs lossFunction: softmaxCrossEntropy (it passes the weights as its `weight` option); ' +
        'for another loss, give the weights to it yourself in lossFunction',
    );
  }
  const weight = [...weights];
  return (output, target) => (isTraining() ? softmaxCrossEntropy(output, target, { weight }) : softmaxCrossEntropy(output, target));
}
