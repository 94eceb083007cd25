// The metrics the loop can report, as in Swift for TensorFlow's `TrainingMetrics`, with
// the improvements of issue 5: every mean is weighted by sample count (a short last batch
// counts for what it holds), MCC is computed in float64 and for multi-class outputs too,
// and perplexity is exp of the token-weighted mean loss.
//
// A metric turns one batch into statistics that simply add up over a phase: a few
// numbers computed on the device (summed into one small accumulator tensor there, so the
// loop reads them back at most once per batch) and a few known on the host from shapes
// alone (sample counts). `measure` turns the phase totals into the reported value.

import { TensorLoopError, shapeString } from '../errors.js';
import { add, cast, equal, greater, greaterEqual, less, mul, sigmoid, sub } from '../ops/elementwise.js';
import { concat, oneHot, reshape } from '../ops/movement.js';
import { argmax, sum } from '../ops/reduce.js';
import { type Tensor, sizeOf } from '../tensor.js';

export type MetricName = 'loss' | 'accuracy' | 'top5Accuracy' | 'matthewsCorrelationCoefficient' | 'perplexity';

export const METRIC_NAMES: readonly MetricName[] = ['loss', 'accuracy', 'top5Accuracy', 'matthewsCorrelationCoefficient', 'perplexity'];

/** One batch, as the metrics see it. */
export interface MetricBatch {
  /** The batch's mean loss, a scalar tensor. */
  loss: Tensor;
  output: Tensor;
  target: Tensor;
}

/** A batch's additive statistics: `device` is one flat float32 tensor (or none). */
export interface BatchStatistics {
  device?: Tensor;
  host: number[];
}

export interface Metric {
  /** The name shown in logs (`mcc` for the Matthews correlation coefficient, as in S4TF). */
  readonly name: string;
  statistics(batch: MetricBatch): BatchStatistics;
  /** The value from phase totals (device statistics first, read back as float64). */
  measure(device: ArrayLike<number>, host: readonly number[]): number;
}

/** How many samples (or tokens) a batch's mean loss averages over: the element count of
 * integer class labels, or of float targets without their last (class/feature) axis. */
export function sampleCount(target: Tensor): number {
  if (target.dtype === 'int32' || target.rank < 2) return target.size;
  return sizeOf(target.shape.slice(0, -1));
}

/** Σ loss·weight and Σ weight: a weighted mean loss. */
function weightedLoss(batch: MetricBatch): BatchStatistics {
  const weight = sampleCount(batch.target);
  return { device: reshape(mul(batch.loss, weight), [1]), host: [weight] };
}

/** Class labels as int32 indices shaped like output.shape[:-1]: integer labels as they
 * are, one-hot or probability targets by their argmax. */
function classLabels(metric: string, output: Tensor, target: Tensor): Tensor {
  const leading = output.shape.slice(0, -1);
  if (output.rank < 1) throw new TensorLoopError(`${metric}: output must have a class axis, got shape ${shapeString(output.shape)}`);
  if (target.dtype === 'int32' && target.size === sizeOf(leading)) return reshape(target, leading);
  if (target.dtype === 'float32' && shapeString(target.shape) === shapeString(output.shape)) return argmax(target, -1);
  throw new TensorLoopError(
    `${metric}: target ${target.dtype} ${shapeString(target.shape)} does not match output ${shapeString(output.shape)} ` +
      '(expected int32 class indices shaped like the output without its last axis, or float targets shaped like the output)',
  );
}

/** Top-k accuracy with TensorFlow's InTopK rule: a sample is a hit when fewer than k
 * classes score strictly higher than its true class (so ties at the boundary are hits),
 * and a non-finite score for the true class is a miss. */
function topK(name: string, k: number): Metric {
  return {
    name,
    statistics({ output, target }) {
      const labels = classLabels(name, output, target);
      const classes = output.shape[output.rank - 1]!;
      const trueScore = sum(mul(output, oneHot(labels, classes)), -1, { keepDims: true });
      const higher = sum(greater(output, trueScore), -1);
      const finite = equal(reshape(sub(trueScore, trueScore), higher.shape), 0);
      const hits = sum(mul(less(higher, k), finite));
      return { device: reshape(hits, [1]), host: [labels.size] };
    },
    measure: (device, host) => device[0]! / host[0]!,
  };
}

/** The Matthews correlation coefficient of a confusion matrix (rows: truth, columns:
 * prediction), in float64. For K classes (Gorodkin's R_K):
 *   (c·s − Σ_k p_k t_k) / √((s² − Σ_k p_k²)(s² − Σ_k t_k²))
 * with c the correct count, s the total, t_k and p_k the true and predicted counts of k;
 * for two classes this is (TP·TN − FP·FN)/√((TP+FP)(TP+FN)(TN+FP)(TN+FN)). 0 when the
 * denominator is 0 (as S4TF). */
export function matthewsCorrelation(confusion: ArrayLike<number>, classes: number): number {
  let correct = 0;
  let total = 0;
  const truth = new Float64Array(classes);
  const predicted = new Float64Array(classes);
  for (let t = 0; t < classes; t++) {
    for (let p = 0; p < classes; p++) {
      const n = confusion[t * classes + p]!;
      truth[t]! += n;
      predicted[p]! += n;
      total += n;
      if (t === p) correct += n;
    }
  }
  let pt = 0;
  let pp = 0;
  let tt = 0;
  for (let k = 0; k < classes; k++) {
    pt += predicted[k]! * truth[k]!;
    pp += predicted[k]! * predicted[k]!;
    tt += truth[k]! * truth[k]!;
  }
  const denominator = Math.sqrt((total * total - pp) * (total * total - tt));
  return denominator === 0 ? 0 : (correct * total - pt) / denominator;
}

/** MCC over every element of the phase. Binary when the output has one score per sample
 * (shape [N] or [N, 1]): predicted positive iff sigmoid(logit) ≥ 0.5, true iff label == 1,
 * as S4TF. Multi-class for [N, C] logits with C ≥ 2: argmax against the class labels. */
const mcc: Metric = {
  name: 'mcc',
  statistics({ output, target }) {
    const binary = output.rank <= 1 || output.shape[output.rank - 1] === 1;
    let index: Tensor;
    let classes: number;
    if (binary) {
      if (target.size !== output.size) {
        throw new TensorLoopError(`mcc: binary target ${shapeString(target.shape)} must have one label per output ${shapeString(output.shape)}`);
      }
      classes = 2;
      const truth = equal(reshape(target, [-1]), 1);
      const predicted = greaterEqual(sigmoid(reshape(output, [-1])), 0.5);
      index = cast(add(mul(truth, 2), predicted), 'int32');
    } else {
      classes = output.shape[output.rank - 1]!;
      const labels = classLabels('mcc', output, target);
      index = add(mul(reshape(labels, [-1]), classes), reshape(argmax(output, -1), [-1]));
    }
    return { device: sum(oneHot(index, classes * classes), 0), host: [] };
  },
  // the totals are the K×K confusion matrix, so K = √length
  measure: (device) => matthewsCorrelation(device, Math.round(Math.sqrt(device.length))),
};

/** The Metric objects for a list of names (loss first when asked for, as S4TF). */
export function makeMetric(name: MetricName): Metric {
  switch (name) {
    case 'loss':
      return { name: 'loss', statistics: weightedLoss, measure: (d, h) => d[0]! / h[0]! };
    case 'perplexity':
      return { name: 'perplexity', statistics: weightedLoss, measure: (d, h) => Math.exp(d[0]! / h[0]!) };
    case 'accuracy':
      return topK('accuracy', 1);
    case 'top5Accuracy':
      return topK('top5Accuracy', 5);
    case 'matthewsCorrelationCoefficient':
      return mcc;
    default:
      throw new TensorLoopError(`TrainingLoop: unknown metric '${String(name)}' (known: ${METRIC_NAMES.join(', ')})`);
  }
}

/** Sums a list of metric statistics into one device vector and one host list, with the
 * offsets to split the totals again. */
export function flattenStatistics(stats: readonly BatchStatistics[]): { device: Tensor | undefined; deviceSizes: number[]; host: number[]; hostSizes: number[] } {
  const pieces = stats.map((s) => s.device).filter((t): t is Tensor => t !== undefined);
  const device = pieces.length === 0 ? undefined : pieces.length === 1 ? pieces[0] : concat(pieces, 0);
  return {
    device: device && (device.dtype === 'float32' ? device : cast(device, 'float32')),
    deviceSizes: stats.map((s) => s.device?.size ?? 0),
    host: stats.flatMap((s) => s.host),
    hostSizes: stats.map((s) => s.host.length),
  };
}
