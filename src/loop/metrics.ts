// The metrics the loop can report, as in Swift for TensorFlow's `TrainingMetrics`, with
// these differences: every mean is weighted by sample count (a short last batch counts
// for what it holds), MCC is computed in float64 and for multi-class outputs too,
// perplexity is exp of the token-weighted mean loss, and (top-k) accuracy breaks ties by
// class index, as argmax does: a sample is correct only when its class is among the first
// k of a stable descending sort, so an all-zero output scores the class-0 share, not 1.
//
// Three kinds of metric are accepted wherever a metric is named (`metrics: [...]`):
//   - a MetricName ('accuracy', …);
//   - a MetricFunction `(output, target) => tensor`, the batch's mean of something,
//     averaged over the phase weighted by sample count (as the loss);
//   - a Metric object (name, reset, update(output, target), result), which keeps its own
//     state, e.g. on the host.
// Built-ins and functions turn one batch into statistics that simply add up over a phase
// (an AccumulatedMetric): a few numbers computed on the device (summed into one small
// accumulator tensor there, so the loop reads them back at most once per batch) and a few
// known on the host from shapes alone (sample counts); `measure` turns the totals into
// the reported value.

import { TensorLoopError, shapeString } from '../errors.js';
import { add, cast, equal, greater, greaterEqual, less, mul, notEqual, sigmoid, sub, where } from '../ops/elementwise.js';
import { concat, oneHot, reshape } from '../ops/movement.js';
import { argmax, sum } from '../ops/reduce.js';
import { type Tensor, arange, sizeOf } from '../tensor.js';

export type MetricName = 'loss' | 'accuracy' | 'top5Accuracy' | 'matthewsCorrelationCoefficient' | 'perplexity';

export const METRIC_NAMES: readonly MetricName[] = ['loss', 'accuracy', 'top5Accuracy', 'matthewsCorrelationCoefficient', 'perplexity'];

/** A metric with its own state: reset at each phase start, updated at each batch end,
 * read when the loop reports. Its methods may be async (e.g. to read the device back). */
export interface Metric {
  readonly name: string;
  reset(): void;
  update(output: Tensor, target: Tensor): void | Promise<void>;
  result(): number | Promise<number>;
}

/** The batch's mean of some quantity, a scalar tensor (named after the function). */
export type MetricFunction = (output: Tensor, target: Tensor) => Tensor;

/** What `metrics: [...]` accepts. */
export type MetricSpec = MetricName | Metric | MetricFunction;

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

/** A metric whose per-batch statistics add up over a phase (the built-ins and MetricFunctions). */
export interface AccumulatedMetric {
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

/** Top-k accuracy, ties broken by class index (argmax's rule): a sample is a hit when
 * fewer than k classes come before its true class t, where j comes before t when
 * s_j > s_t, or s_j = s_t and j < t, or s_j is NaN (NaN sorts first, as PyTorch's argmax);
 * a non-finite score for the true class is a miss. */
function topK(name: string, k: number): AccumulatedMetric {
  return {
    name,
    statistics({ output, target }) {
      const labels = classLabels(name, output, target);
      const classes = output.shape[output.rank - 1]!;
      const trueScore = sum(where(oneHot(labels, classes), output, 0), -1, { keepDims: true });
      const classIndex = arange(classes, undefined, 1, { device: output.device });
      const earlier = less(classIndex, reshape(cast(labels, 'float32'), [...labels.shape, 1]));
      const before = add(add(greater(output, trueScore), mul(equal(output, trueScore), earlier)), notEqual(output, output));
      const ahead = sum(before, -1);
      const finite = equal(reshape(sub(trueScore, trueScore), ahead.shape), 0);
      const hits = sum(mul(less(ahead, k), finite));
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
const mcc: AccumulatedMetric = {
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

/** A MetricFunction as an AccumulatedMetric: Σ value·samples / Σ samples. */
export function functionMetric(f: MetricFunction): AccumulatedMetric {
  const name = f.name || 'metric';
  return {
    name,
    statistics({ output, target }) {
      const value = f(output, target);
      if (!value || (value as Tensor).isTensor !== true || value.size !== 1) {
        throw new TensorLoopError(`metric ${name}: must return a scalar tensor (the batch's mean), got ${value?.isTensor ? `shape ${shapeString(value.shape)}` : typeof value}`);
      }
      const weight = sampleCount(target);
      return { device: reshape(mul(cast(value, 'float32'), weight), [1]), host: [weight] };
    },
    measure: (d, h) => d[0]! / h[0]!,
  };
}

/** The built-in metric of a name. */
export function makeMetric(name: MetricName): AccumulatedMetric {
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
