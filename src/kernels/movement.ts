// Data movement kernels: strided copy (serves transpose, broadcastTo and slice), pad,
// concat, gather with its gradient scatterAdd, and oneHot.

import { type DType, typedArrayFor } from '../dtype.js';
import type { Shape, Tensor } from '../tensor.js';
import { sizeOf } from '../tensor.js';
import { type Kernel, cpuData, cpuTensor, stridesOf } from './kernel.js';

/** out[i] = x[offset + Σ_k index_k(i) · strides[k]], where index(i) is i's multi-index
 * in outShape. Transpose permutes strides, broadcast sets some to 0, slice adds an offset. */
export const stridedCopyKernel: Kernel<(x: Tensor, outShape: Shape, strides: readonly number[], offset: number) => Tensor> = {
  name: 'stridedCopy',
  cpu(x, outShape, strides, offset) {
    const input = cpuData(x);
    const out = typedArrayFor(x.dtype, sizeOf(outShape));
    const rank = outShape.length;
    if (out.length === 0) return cpuTensor(out, outShape);
    const index = new Array<number>(rank).fill(0);
    const last = rank === 0 ? 1 : outShape[rank - 1]!;
    const lastStride = rank === 0 ? 0 : strides[rank - 1]!;
    let base = offset;
    for (let i = 0; i < out.length; i += last) {
      for (let j = 0; j < last; j++) out[i + j] = input[base + j * lastStride]!;
      for (let axis = rank - 2; axis >= 0; axis--) {
        index[axis]! += 1;
        base += strides[axis]!;
        if (index[axis]! < outShape[axis]!) break;
        base -= strides[axis]! * outShape[axis]!;
        index[axis] = 0;
      }
    }
    return cpuTensor(out, outShape);
  },
};

/** out[i] = x[i - before] inside the original box, `value` in the padding. */
export const padKernel: Kernel<(x: Tensor, before: readonly number[], outShape: Shape, value: number) => Tensor> = {
  name: 'pad',
  cpu(x, before, outShape, value) {
    const input = cpuData(x);
    const out = typedArrayFor(x.dtype, sizeOf(outShape));
    out.fill(value);
    const outStrides = stridesOf(outShape);
    const inStrides = stridesOf(x.shape);
    for (let i = 0; i < input.length; i++) {
      let o = 0;
      for (let k = 0; k < x.rank; k++) o += (Math.floor(i / inStrides[k]!) % x.shape[k]! + before[k]!) * outStrides[k]!;
      out[o] = input[i]!;
    }
    return cpuTensor(out, outShape);
  },
};

/** Writes each input into its slab of the output along `axis`. */
export const concatKernel: Kernel<(xs: readonly Tensor[], axis: number, outShape: Shape) => Tensor> = {
  name: 'concat',
  cpu(xs, axis, outShape) {
    const out = typedArrayFor(xs[0]!.dtype, sizeOf(outShape));
    const outer = sizeOf(outShape.slice(0, axis));
    const outRow = sizeOf(outShape.slice(axis));
    let column = 0;
    for (const x of xs) {
      const input = cpuData(x);
      const row = sizeOf(x.shape.slice(axis));
      for (let o = 0; o < outer; o++) out.set(input.subarray(o * row, (o + 1) * row), o * outRow + column);
      column += row;
    }
    return cpuTensor(out, outShape);
  },
};

/** Viewing x as [outer, n, inner] and indices as [m]: out[o, j, i] = x[o, indices[j], i]. */
export const gatherKernel: Kernel<(x: Tensor, indices: Tensor, outer: number, inner: number, outShape: Shape) => Tensor> = {
  name: 'gather',
  cpu(x, indices, outer, inner, outShape) {
    const input = cpuData(x);
    const idx = cpuData(indices);
    const n = x.size / (outer * inner);
    const out = typedArrayFor(x.dtype, outer * idx.length * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < idx.length; j++) {
        const from = (o * n + idx[j]!) * inner;
        out.set(input.subarray(from, from + inner), (o * idx.length + j) * inner);
      }
    }
    return cpuTensor(out, outShape);
  },
};

/** The gradient of gather: out [outer, n, inner] of zeros, out[o, indices[j], i] += dy[o, j, i]. */
export const scatterAddKernel: Kernel<(dy: Tensor, indices: Tensor, outer: number, n: number, inner: number, outShape: Shape) => Tensor> = {
  name: 'scatterAdd',
  cpu(dy, indices, outer, n, inner, outShape) {
    const grad = cpuData(dy);
    const idx = cpuData(indices);
    const out = new Float32Array(outer * n * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < idx.length; j++) {
        const to = (o * n + idx[j]!) * inner;
        const from = (o * idx.length + j) * inner;
        for (let i = 0; i < inner; i++) out[to + i]! += grad[from + i]!;
      }
    }
    return cpuTensor(out, outShape);
  },
};

/** out[i, c] = indices[i] == c ? 1 : 0 (an index outside [0, depth) gives a zero row). */
export const oneHotKernel: Kernel<(indices: Tensor, depth: number, dtype: DType) => Tensor> = {
  name: 'oneHot',
  cpu(indices, depth, dtype) {
    const idx = cpuData(indices);
    const out = typedArrayFor(dtype, idx.length * depth);
    for (let i = 0; i < idx.length; i++) {
      const c = idx[i]!;
      if (c >= 0 && c < depth) out[i * depth + c] = 1;
    }
    return cpuTensor(out, [...indices.shape, depth]);
  },
};
