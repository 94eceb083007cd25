// softmaxCrossEntropy(logits, labels): the classification loss, a fused op (one kernel
// forward, one backward; src/kernels/softmax-cross-entropy.ts) rather than a composite,
// because it is where training spends time and where naive composites overflow. Its
// gradient with respect to the logits is (softmax − target) / N; no gradient flows into
// the labels. src/losses re-exports it beside the other losses.
//
// Class weights (`weight`, PyTorch's CrossEntropyLoss(weight=)) are composed from ops around
// the same kernel: the target row becomes w_c · t_c, and the kernel's loss and gradient
// already hold for any non-negative target row (they use Σ_c t_c, not 1). Then, as PyTorch:
//   int labels:  Σ_n w[y_n]·l_n / Σ_n w[y_n]   with l_n = −Σ_c w_c/w[y_n] · t_nc · log p_nc
//                (without smoothing simply the weighted mean of the row losses; with it the
//                ε/C part is weighted per class and still divided by Σ w[y_n]);
//   probability rows:  Σ_n (−Σ_c w_c t_nc log p_nc) / N   (no division by the weights).

import { isRecording, record } from '../autodiff/tape.js';
import { TensorLoopError, shapeString } from '../errors.js';
import { kernelFor } from '../kernels/kernel.js';
import { softmaxCrossEntropyGradKernel, softmaxCrossEntropyKernel } from '../kernels/softmax-cross-entropy.js';
import { add, div, mul, sub } from './elementwise.js';
import { gather, oneHot, reshape } from './movement.js';
import { softmax } from './softmax.js';
import { mean, sum } from './reduce.js';
import { assertSameDevice, assertTensor, checkIndexRange, composite, sameShape } from './util.js';
import { type Tensor, sizeOf, tensor } from '../tensor.js';
import { checkOptions } from '../options.js';

export interface SoftmaxCrossEntropyOptions {
  /** ε: the target becomes (1 − ε)·target + ε/classes. Default 0. */
  labelSmoothing?: number;
  /** A weight per class, shaped [C] (PyTorch's `weight`): with int labels the loss is the
   * weighted mean Σ w[y_n]·l_n / Σ w[y_n]; with probability rows each class's term is
   * scaled by w_c and the mean stays over the N rows. Default: every class 1. */
  weight?: Tensor | readonly number[];
}

/** Mean cross-entropy between softmax(logits) and the labels. `logits` is [..., C];
 * `labels` is int32 class indices shaped [...] or float32 probabilities shaped [..., C]. */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, options: SoftmaxCrossEntropyOptions = {}): Tensor {
  const { labelSmoothing = 0, weight } = checkOptions('softmaxCrossEntropy', options, ['labelSmoothing', 'weight']);
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
  if (weight !== undefined) return weightedCrossEntropy(logits, labels, classWeights(weight, logits), { rows, classes, labelSmoothing });
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

/** `weight` as a float32 [C] tensor on the logits' device (checked). */
function classWeights(weight: Tensor | readonly number[], logits: Tensor): Tensor {
  const op = 'softmaxCrossEntropy';
  const classes = logits.shape[logits.rank - 1]!;
  if (Array.isArray(weight)) {
    if (weight.length !== classes || weight.some((w) => typeof w !== 'number')) {
      throw new TensorLoopError(`${op}: weight must hold one number per class (${classes}), got ${weight.length} entries`);
    }
    return tensor(weight as number[], { device: logits.device });
  }
  assertTensor(op, weight, 'weight');
  assertSameDevice(op, [logits, weight as Tensor]);
  const w = weight as Tensor;
  if (w.dtype !== 'float32' || !sameShape(w.shape, [classes])) {
    throw new TensorLoopError(`${op}: weight must be a float32 tensor shaped [${classes}] (one per class), got ${w.dtype} ${shapeString(w.shape)}`);
  }
  return w;
}

/** The class-weighted loss (see the header): the fused kernel on the weighted target row
 * w ⊙ ((1 − ε)·target + ε/C), divided by Σ w[y_n] (int labels) or N (probabilities). */
function weightedCrossEntropy(logits: Tensor, labels: Tensor, weight: Tensor, { rows, classes, labelSmoothing }: { rows: number; classes: number; labelSmoothing: number }): Tensor {
  return composite(() => {
    const x = reshape(logits, [rows, classes]);
    const intLabels = labels.dtype === 'int32';
    const hard = intLabels ? oneHot(reshape(labels, [rows]), classes) : reshape(labels, [rows, classes]);
    const smoothed = labelSmoothing === 0 ? hard : add(mul(hard, 1 - labelSmoothing), labelSmoothing / classes);
    const target = mul(smoothed, weight);
    const info = { rows, classes, labelSmoothing: 0 };
    const rowLoss = kernelFor(softmaxCrossEntropyKernel, x.device)(x, target, info);
    record('softmaxCrossEntropy', [x], rowLoss, (dy) => [
      isRecording() ? gradientFromOps(x, target, dy, info) : kernelFor(softmaxCrossEntropyGradKernel, x.device)(x, target, dy, info),
    ]);
    // gather checks the labels against [0, C) on WebGPU too (the one-hot does not)
    return intLabels ? div(sum(rowLoss), sum(gather(weight, reshape(labels, [rows])))) : mean(rowLoss);
  });
}
