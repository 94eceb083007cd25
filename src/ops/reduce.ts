// Reductions: sum, max, min, argmax, argmin along any axes (negative allowed), with
// keepDims; mean is a composite. Gradients: sum broadcasts dy back; max/min send dy to
// the elements equal to the extremum, shared equally among ties (among the NaNs, when the
// extremum is NaN).

import { record } from '../autodiff/tape.js';
import { TensorLoopError, shapeString } from '../errors.js';
import { kernelFor } from '../kernels/kernel.js';
import { type ReduceOp, reduceKernel } from '../kernels/reduce.js';
import { sumColumnsKernel } from '../kernels/sum-columns.js';
import { type Shape, type Tensor, sizeOf } from '../tensor.js';
import { add, div, equal, mul, notEqual } from './elementwise.js';
import { broadcastTo, reshape, transpose } from './movement.js';
import { assertTensor, composite, normalizeAxes, sameShape } from './util.js';
import { checkOptions } from '../options.js';

export interface ReduceOptions {
  keepDims?: boolean;
}

type Axis = number | readonly number[];

function reduce(op: ReduceOp, x: Tensor, axis: Axis | undefined, keepDims: boolean): Tensor {
  assertTensor(op, x);
  const axes = normalizeAxes(op, axis, x.rank);
  if ((op === 'argmax' || op === 'argmin' || op === 'max' || op === 'min') && axes.some((a) => x.shape[a] === 0)) {
    throw new TensorLoopError(`${op}: cannot reduce an empty axis of shape ${shapeString(x.shape)}`);
  }
  return composite(() => reduceAlong(op, x, axes, keepDims));
}

function reduceAlong(op: ReduceOp, x: Tensor, axes: number[], keepDims: boolean): Tensor {
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outShape = keepDims ? keptShape : x.shape.filter((_, i) => !axes.includes(i));
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const inner = sizeOf(axes.map((a) => x.shape[a]!));
  const outer = sizeOf(kept.map((a) => x.shape[a]!));
  // a float sum over leading axes reads columns in place; otherwise move the reduced axes
  // last (unless they already are) and reduce rows
  const leading = axes.every((a, i) => a === i) && kept.length > 0;
  let flat: Tensor;
  if (op === 'sum' && leading && x.dtype === 'float32') {
    flat = kernelFor(sumColumnsKernel, x.device)(x, inner, outer);
  } else {
    const perm = [...kept, ...axes];
    const moved = perm.every((p, i) => p === i) ? x : transpose(x, perm);
    flat = kernelFor(reduceKernel, x.device)(op, moved, outer, inner);
  }
  const y = reshape(flat, outShape);
  if (op === 'sum') {
    record('sum', [x], y, (dy) => [broadcastTo(reshape(dy, keptShape), x.shape)]);
  } else if (op === 'max' || op === 'min') {
    record(op, [x], y, (dy) => {
      // the extremum's positions; where it is NaN, the NaN positions (as PyTorch)
      const yKept = reshape(y, keptShape);
      const isExtreme = add(equal(x, yKept), mul(notEqual(x, x), notEqual(yKept, yKept)));
      const share = div(isExtreme, sum(isExtreme, axes, { keepDims: true }));
      return [mul(share, reshape(dy, keptShape))];
    });
  }
  return y;
}

export const sum = (x: Tensor, axis?: Axis, options: ReduceOptions = {}): Tensor => reduce('sum', x, axis, checkOptions('sum', options, ['keepDims']).keepDims ?? false);
export const max = (x: Tensor, axis?: Axis, options: ReduceOptions = {}): Tensor => reduce('max', x, axis, checkOptions('max', options, ['keepDims']).keepDims ?? false);
export const min = (x: Tensor, axis?: Axis, options: ReduceOptions = {}): Tensor => reduce('min', x, axis, checkOptions('min', options, ['keepDims']).keepDims ?? false);

/** Index of the largest element along one axis (the first on ties), as int32. */
export function argmax(x: Tensor, axis = -1, options: ReduceOptions = {}): Tensor {
  const { keepDims = false } = checkOptions('argmax', options, ['keepDims']);
  if (typeof axis !== 'number') throw new TensorLoopError(`argmax: axis must be one number, got ${JSON.stringify(axis)}`);
  return reduce('argmax', x, axis, keepDims);
}

export function argmin(x: Tensor, axis = -1, options: ReduceOptions = {}): Tensor {
  const { keepDims = false } = checkOptions('argmin', options, ['keepDims']);
  if (typeof axis !== 'number') throw new TensorLoopError(`argmin: axis must be one number, got ${JSON.stringify(axis)}`);
  return reduce('argmin', x, axis, keepDims);
}

/** Mean along axes (all by default): sum / count. */
export function mean(x: Tensor, axis?: Axis, options: ReduceOptions = {}): Tensor {
  assertTensor('mean', x);
  checkOptions('mean', options, ['keepDims']);
  const axes = normalizeAxes('mean', axis, x.rank);
  const count = sizeOf(axes.map((a) => x.shape[a]!));
  return composite(() => div(sum(x, axes, options), count));
}

/** Sums a broadcast gradient back to `shape` (the inverse of broadcasting). */
export function sumToShape(dy: Tensor, shape: Shape): Tensor {
  if (sameShape(dy.shape, shape)) return dy;
  const offset = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    if (i < offset || (shape[i - offset] === 1 && dy.shape[i] !== 1)) axes.push(i);
  }
  return composite(() => reshape(sum(dy, axes, { keepDims: true }), shape));
}
