// Losses for real-valued targets, composites of primitives: the mean of (p − y)² and of
// |p − y|. Predictions and labels must have the same shape: a silent broadcast of [N,1]
// against [N] into [N,N] is the classic bug these checks exist to stop.

import { TensorLoopError, shapeString } from '../errors.js';
import { abs, square, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { assertTensor, composite, sameShape } from '../ops/util.js';
import type { Tensor } from '../tensor.js';

export function checkSameShape(op: string, predictions: Tensor, labels: Tensor): void {
  assertTensor(op, predictions, 'predictions');
  assertTensor(op, labels, 'labels');
  if (!sameShape(predictions.shape, labels.shape)) {
    throw new TensorLoopError(`${op}: predictions ${shapeString(predictions.shape)} and labels ${shapeString(labels.shape)} must have the same shape`);
  }
}

/** mean((p − y)²) */
export function meanSquaredError(predictions: Tensor, labels: Tensor): Tensor {
  checkSameShape('meanSquaredError', predictions, labels);
  return composite(() => mean(square(sub(predictions, labels))));
}

/** mean(|p − y|) */
export function meanAbsoluteError(predictions: Tensor, labels: Tensor): Tensor {
  checkSameShape('meanAbsoluteError', predictions, labels);
  return composite(() => mean(abs(sub(predictions, labels))));
}
