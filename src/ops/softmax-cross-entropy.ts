// softmaxCrossEntropy(logits, labels): the classification loss, a fused op (one kernel
// forward, one backward; src/kernels/softmax-cross-entropy.ts) rather than a composite,
// because it is where training spends time and where naive composites overflow. Its
// gradient with respect to the logits is (softmax − target) / N; no gradient flows into
// the labels. src/losses re-exports it beside the other losses.

import { isRecording, record } from '../autodiff/tape.js';
import { TensorLoopError, shapeString } from '../errors.js';
import { kernelFor } from '../kernels/kernel.js';
import { softmaxCrossEntropyGradKernel, softmaxCrossEntropyKernel } from '../kernels/softmax-cross-entropy.js';
import { add, mul, sub } from './elementwise.js';
import { oneHot, reshape } from './movement.js';
import { softmax } from './softmax.js';
import { mean, sum } from './reduce.js';
import { assertSameDevice, assertTensor, checkIndexRange, composite, sameShape } from './util.js';
import { type Tensor, sizeOf } from '../tensor.js';
import { checkOptions } from '../options.js';

export interface SoftmaxCrossEntropyOptions {
  /** ε: the target becomes (1 − ε)·target + ε/classes. Default 0. */
  labelSmoothing?: number;
}

/** Mean cross-entropy between softmax(logits) and the labels. `logits` is [..., C];
 * `labels` is int32 class indices shaped [...] or float32 probabilities shaped [..., C]. */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, options: SoftmaxCrossEntropyOptions = {}): Tensor {
  const { labelSmoothing = 0 } = checkOptions('softmaxCrossEntropy', options, ['labelSmoothing']);
  const op = 'softmaxCrossEntropy';
  assertTensor(op, logits, 'logits');
  assertTensor(op, labels, 'labels');
  assertSameDevice(op, [logits, labels]);
  if (logits.dtype !== 'float32') throw new TensorLoopError(`${op}: logits must be float32, got ${logits.dtype}`);
  if (logits.rank < 1 || logits.shape[logits.rank - 1]! < 1) throw new TensorLoopError(`${op}: logits need a class axis, got ${shapeString(logits.shape)}`);
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new TensorLoopError(`${op}: labelSmoothing must be in [0, 1), got ${labelSmoothing}`);
  const classes = logits.shape[logits.rank - 1]!;
  const rowShape = logits.shape.slice(0, -1);
  if (labels.dtype === 'int32') {
    if (!sameShape(labels.shape, rowShape)) {
      throw new TensorLoopError(`${op}: int32 labels must be shaped ${shapeString(rowShape)} for logits ${shapeString(logits.shape)}, got ${shapeString(labels.shape)}`);
    }
    checkIndexRange(op, labels, classes, 'label');
  } else if (!sameShape(labels.shape, logits.shape)) {
    throw new TensorLoopError(`${op}: float labels (probabilities) must be shaped like the logits ${shapeString(logits.shape)}, got ${shapeString(labels.shape)}`);
  }
  const rows = sizeOf(rowShape);
  const info = { rows, classes, labelSmoothing };
  return composite(() => {
    const x = reshape(logits, [rows, classes]);
    const target = labels.dtype === 'int32' ? reshape(labels, [rows]) : reshape(labels, [rows, classes]);
    const rowLoss = kernelFor(softmaxCrossEntropyKernel, x.device)(x, target, info);
    // d loss_n / d x_{n,c} = softmax_c · Σt − t_c, scaled by the incoming dy_n (the fused
    // kernel; written with ops instead while an outer gradient records it, so that it is
    // differentiated in turn)
    record(op, [x], rowLoss, (dy) => [
      isRecording() ? gradientFromOps(x, target, dy, info) : kernelFor(softmaxCrossEntropyGradKernel, x.device)(x, target, dy, info),
    ]);
    return mean(rowLoss);
  });
}

/** The gradient the fused kernel computes, as ops: dy_n · (softmax(x)_c · Σt − t_c) with the
 * smoothed target t = (1 − ε)·target + ε/C. */
function gradientFromOps(x: Tensor, target: Tensor, dy: Tensor, { rows, classes, labelSmoothing }: { rows: number; classes: number; labelSmoothing: number }): Tensor {
  const hard = target.dtype === 'int32' ? oneHot(target, classes) : target;
  const t = labelSmoothing === 0 ? hard : add(mul(hard, 1 - labelSmoothing), labelSmoothing / classes);
  return mul(reshape(dy, [rows, 1]), sub(mul(softmax(x), sum(t, 1, { keepDims: true })), t));
}
