// Movement ops: reshape, transpose, broadcastTo, slice, pad, concat, stack, gather,
// oneHot and the small helpers built on them. Each gradient is another movement:
// transpose ↔ inverse transpose, broadcast ↔ sum, slice ↔ pad, gather ↔ scatterAdd.

import { record } from '../autodiff/tape.js';
import { kernelFor, stridesOf } from '../kernels/kernel.js';
import { concatKernel, gatherKernel, oneHotKernel, padKernel, scatterAddKernel, stridedCopyKernel } from '../kernels/movement.js';
import { TensorLoopError, describeValue, shapeString } from '../errors.js';
import { type Shape, type Tensor, assertShape, sizeOf } from '../tensor.js';
import type { DType } from '../dtype.js';
import { sumToShape } from './reduce.js';
import { assertSameDevice, assertTensor, broadcastShapes, checkIndexRange, composite, normalizeAxis, sameShape, assertOutputAllocatable } from './util.js';

/** Same elements, new shape; one dimension may be -1 (inferred). Free: shares storage. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  assertTensor('reshape', x);
  assertShape('reshape', shape, 'target shape', true);
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1 || shape.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new TensorLoopError(`reshape: bad target shape ${shapeString(shape)}`);
  }
  const known = sizeOf(shape.filter((d) => d !== -1));
  const resolved = shape.map((d) => (d === -1 ? (known === 0 ? 0 : x.size / known) : d));
  if (sizeOf(resolved) !== x.size || resolved.some((d) => !Number.isInteger(d))) {
    throw new TensorLoopError(`reshape: cannot reshape ${shapeString(x.shape)} (${x.size} elements) to ${shapeString(shape)}`);
  }
  if (sameShape(resolved, x.shape)) return x;
  const y = x.view(resolved);
  record('reshape', [x], y, (dy) => [reshape(dy, x.shape)]);
  return y;
}

/** Permutes axes; the default reverses them. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  assertTensor('transpose', x);
  if (perm !== undefined) assertShape('transpose', perm, 'perm');
  const order = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  if (order.length !== x.rank || [...order].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new TensorLoopError(`transpose: perm ${JSON.stringify(order)} is not a permutation of ${x.rank} axes of ${shapeString(x.shape)}`);
  }
  if (order.every((p, i) => p === i)) return x;
  const inStrides = stridesOf(x.shape);
  const outShape = order.map((p) => x.shape[p]!);
  const y = kernelFor(stridedCopyKernel, x.device)(x, outShape, order.map((p) => inStrides[p]!), 0);
  const inverse = new Array<number>(order.length);
  order.forEach((p, i) => (inverse[p] = i));
  record('transpose', [x], y, (dy) => [transpose(dy, inverse)]);
  return y;
}

/** Repeats x along size-1 (or missing leading) axes to `shape`, NumPy style. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  assertTensor('broadcastTo', x);
  assertShape('broadcastTo', shape);
  const outShape = broadcastShapes('broadcastTo', x.shape, shape);
  if (!sameShape(outShape, shape)) {
    throw new TensorLoopError(`broadcastTo: cannot broadcast ${shapeString(x.shape)} to ${shapeString(shape)}`);
  }
  assertOutputAllocatable('broadcastTo', outShape, x);
  if (sameShape(x.shape, shape)) return x;
  const own = stridesOf(x.shape);
  const offset = shape.length - x.rank;
  const strides = shape.map((_, i) => (i < offset || x.shape[i - offset] === 1 ? 0 : own[i - offset]!));
  const y = kernelFor(stridedCopyKernel, x.device)(x, [...shape], strides, 0);
  record('broadcastTo', [x], y, (dy) => [sumToShape(dy, x.shape)]);
  return y;
}

/** The box starting at `begin` of extent `size` (-1: to the end), as tf.slice. */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  assertTensor('slice', x);
  assertShape('slice', begin, 'begin');
  if (size !== undefined) assertShape('slice', size, 'size', true);
  if (begin.length !== x.rank || (size && size.length !== x.rank)) {
    throw new TensorLoopError(`slice: begin ${JSON.stringify(begin)} and size ${JSON.stringify(size)} must have one entry per axis of ${shapeString(x.shape)}`);
  }
  const extent = x.shape.map((d, i) => (size === undefined || size[i] === -1 ? d - begin[i]! : size[i]!));
  x.shape.forEach((d, i) => {
    if (!Number.isInteger(begin[i]) || !Number.isInteger(extent[i]) || begin[i]! < 0 || extent[i]! < 0 || begin[i]! + extent[i]! > d) {
      throw new TensorLoopError(`slice: begin ${JSON.stringify(begin)} size ${JSON.stringify(size)} is outside ${shapeString(x.shape)}`);
    }
  });
  if (sameShape(extent, x.shape)) return x;
  const strides = stridesOf(x.shape);
  const offset = begin.reduce((acc, b, i) => acc + b * strides[i]!, 0);
  const y = kernelFor(stridedCopyKernel, x.device)(x, extent, strides, offset);
  record('slice', [x], y, (dy) => [pad(dy, x.shape.map((d, i) => [begin[i]!, d - begin[i]! - extent[i]!] as [number, number]))]);
  return y;
}

/** Adds `paddings[k] = [before, after]` elements of `value` around axis k. */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  assertTensor('pad', x);
  if (!Array.isArray(paddings as unknown) || paddings.some((p) => !Array.isArray(p as unknown))) {
    throw new TensorLoopError(`pad: paddings must be an array of [before, after] pairs, got ${describeValue(paddings)}`);
  }
  if (paddings.length !== x.rank || paddings.some((p) => p.length !== 2 || p.some((v) => !Number.isInteger(v) || v < 0))) {
    throw new TensorLoopError(`pad: paddings ${JSON.stringify(paddings)} must be one [before, after] pair of non-negative integers per axis of ${shapeString(x.shape)}`);
  }
  if (paddings.every(([b, a]) => b === 0 && a === 0)) return x;
  const outShape = x.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
  assertOutputAllocatable('pad', outShape, x);
  const before = paddings.map((p) => p[0]);
  const y = kernelFor(padKernel, x.device)(x, before, outShape, value);
  record('pad', [x], y, (dy) => [slice(dy, before, x.shape)]);
  return y;
}

/** Joins tensors along an existing axis. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs as unknown) || xs.length === 0) throw new TensorLoopError('concat: expected a non-empty list of tensors');
  xs.forEach((x, i) => assertTensor('concat', x, `tensor ${i}`));
  assertSameDevice('concat', xs);
  const first = xs[0]!;
  const ax = normalizeAxis('concat', axis, first.rank);
  for (const x of xs) {
    if (x.dtype !== first.dtype || x.rank !== first.rank || x.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new TensorLoopError(`concat: shapes ${xs.map((t) => `${t.dtype}${shapeString(t.shape)}`).join(', ')} differ outside axis ${ax}`);
    }
  }
  if (xs.length === 1) return first;
  const outShape = first.shape.map((d, i) => (i === ax ? xs.reduce((n, x) => n + x.shape[ax]!, 0) : d));
  assertOutputAllocatable('concat', outShape, first);
  const y = kernelFor(concatKernel, first.device)(xs, ax, outShape);
  record('concat', xs, y, (dy, needs) => {
    let start = 0;
    return xs.map((x, i) => {
      const begin = x.shape.map((_, k) => (k === ax ? start : 0));
      start += x.shape[ax]!;
      return needs[i] ? slice(dy, begin, x.shape) : null;
    });
  });
  return y;
}

/** Joins tensors of one shape along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs as unknown) || xs.length === 0) throw new TensorLoopError('stack: expected a non-empty list of tensors');
  xs.forEach((x, i) => assertTensor('stack', x, `tensor ${i}`));
  const shape = xs[0]!.shape;
  if (xs.some((x) => !sameShape(x.shape, shape))) {
    throw new TensorLoopError(`stack: shapes differ: ${xs.map((x) => shapeString(x.shape)).join(', ')}`);
  }
  const ax = normalizeAxis('stack', axis, shape.length + 1);
  return composite(() => concat(xs.map((x) => expandDims(x, ax)), ax));
}

/** Inserts a size-1 axis at `axis`. */
export function expandDims(x: Tensor, axis = 0): Tensor {
  assertTensor('expandDims', x);
  const ax = normalizeAxis('expandDims', axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)]);
}

/** Removes size-1 axes (all of them, or those listed). */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  assertTensor('squeeze', x);
  const axes = axis === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : (typeof axis === 'number' ? [axis] : axis).map((a) => normalizeAxis('squeeze', a, x.rank));
  for (const a of axes) {
    if (x.shape[a] !== 1) throw new TensorLoopError(`squeeze: axis ${a} of ${shapeString(x.shape)} is not 1`);
  }
  return reshape(x, x.shape.filter((_, i) => !axes.includes(i)));
}

/** Keeps the first axis, merges the rest: [N, ...] → [N, prod(...)]. */
export function flatten(x: Tensor): Tensor {
  assertTensor('flatten', x);
  return reshape(x, [x.shape[0] ?? 1, -1]);
}

/** Picks slices of x along `axis` by int32 indices: out shape is
 * x.shape[:axis] + indices.shape + x.shape[axis+1:] (as numpy.take / tf.gather). */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  assertTensor('gather', x);
  assertTensor('gather', indices, 'indices');
  assertSameDevice('gather', [x, indices]);
  if (indices.dtype !== 'int32') throw new TensorLoopError(`gather: indices must be int32, got ${indices.dtype}`);
  const ax = normalizeAxis('gather', axis, x.rank);
  const n = x.shape[ax]!;
  checkIndexRange('gather', indices, n, 'index', ` for axis ${ax} of ${shapeString(x.shape)}`);
  const outer = sizeOf(x.shape.slice(0, ax));
  const inner = sizeOf(x.shape.slice(ax + 1));
  const outShape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
  assertOutputAllocatable('gather', outShape, x);
  return gatherAlong(x, indices, outer, n, inner, outShape);
}

/** gather on x viewed as [outer, n, inner]; its gradient, scatterAdd, has gather as its own. */
function gatherAlong(x: Tensor, indices: Tensor, outer: number, n: number, inner: number, outShape: Shape): Tensor {
  const y = kernelFor(gatherKernel, x.device)(x, indices, outer, inner, outShape);
  record('gather', [x, indices], y, (dy) => {
    const dx = kernelFor(scatterAddKernel, dy.device)(dy, indices, outer, n, inner, x.shape);
    record('scatterAdd', [dy], dx, (g) => [gatherAlong(g, indices, outer, n, inner, dy.shape)]);
    return [dx];
  });
  return y;
}

/** One-hot encoding of int32 indices: [..., depth], 1 at each index (an index outside
 * [0, depth) gives a row of zeros, as in TensorFlow). */
export function oneHot(indices: Tensor, depth: number, dtype: DType = 'float32'): Tensor {
  assertTensor('oneHot', indices, 'indices');
  if (indices.dtype !== 'int32') throw new TensorLoopError(`oneHot: indices must be int32, got ${indices.dtype}`);
  if (!Number.isInteger(depth) || depth < 1) throw new TensorLoopError(`oneHot: depth must be a positive integer, got ${depth}`);
  assertOutputAllocatable('oneHot', [...indices.shape, depth], indices);
  return kernelFor(oneHotKernel, indices.device)(indices, depth, dtype);
}
