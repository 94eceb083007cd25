// Data movement kernels: strided copy (serves transpose, broadcastTo and slice), pad,
// concat, gather with its gradient scatterAdd, and oneHot.

import { type DType, typedArrayFor } from '../dtype.js';
import { dims, u32 } from '../device/uniforms.js';
import { registerStatusCode } from '../device/webgpu.js';
import type { Shape, Tensor } from '../tensor.js';
import { sizeOf } from '../tensor.js';
import { type Kernel, cpuData, cpuTensor, stridesOf } from './kernel.js';
import { ELEMENTWISE_MAIN, WGSL_DIMS, bitsOf, elementWorkgroups, gpuDevice, gpuOutput, wgslType } from './wgsl.js';

// Movement kernels on WebGPU move 32-bit words whatever they hold (float32 or int32), so
// one pipeline serves both dtypes.

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
  webgpu(x, outShape, strides, offset) {
    const device = gpuDevice(x);
    const y = gpuOutput(device, outShape, x.dtype);
    const size = sizeOf(outShape);
    device.dispatch({
      key: 'stridedCopy',
      wgsl: STRIDED_COPY_WGSL,
      inputs: [x.storage],
      outputs: [y.storage],
      uniforms: [u32(size), u32(outShape.length), u32(offset), dims(outShape), dims(strides)],
      workgroups: elementWorkgroups(size),
    });
    return y;
  },
};

// One invocation copies one output element from its strided place in x.
const STRIDED_COPY_WGSL = /* wgsl */ `
${WGSL_DIMS}
struct Uniforms { size: u32, rank: u32, offset: u32, shape: Dims, strides: Dims }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs: array<u32>;
@group(0) @binding(2) var<storage, read_write> ys: array<u32>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  ys[index] = xs[u.offset + stridedOffset(index, u.rank, u.shape, u.strides)];
}`;

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
  webgpu(x, before, outShape, value) {
    const device = gpuDevice(x);
    const y = gpuOutput(device, outShape, x.dtype);
    const size = sizeOf(outShape);
    device.dispatch({
      key: 'pad',
      wgsl: PAD_WGSL,
      inputs: [x.storage],
      outputs: [y.storage],
      uniforms: [u32(size), u32(outShape.length), u32(bitsOf(value, x.dtype)), dims(outShape), dims(x.shape), dims(before)],
      workgroups: elementWorkgroups(size),
    });
    return y;
  },
};

// One invocation writes one output element: the input element it came from, or the
// padding value when it lies outside the input's box.
const PAD_WGSL = /* wgsl */ `
${WGSL_DIMS}
struct Uniforms { size: u32, rank: u32, value: u32, outShape: Dims, inShape: Dims, before: Dims }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs: array<u32>;
@group(0) @binding(2) var<storage, read_write> ys: array<u32>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  var rest = index;
  var offset = 0u;
  var stride = 1u;
  for (var k = i32(u.rank) - 1; k >= 0; k--) {
    let d = dim(u.outShape, u32(k));
    let j = i32(rest % d) - i32(dim(u.before, u32(k)));
    rest /= d;
    let n = dim(u.inShape, u32(k));
    if (j < 0 || j >= i32(n)) {
      ys[index] = u.value;
      return;
    }
    offset += u32(j) * stride;
    stride *= n;
  }
  ys[index] = xs[offset];
}`;

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
  webgpu(xs, axis, outShape) {
    const device = gpuDevice(xs[0]!);
    const y = gpuOutput(device, outShape, xs[0]!.dtype);
    const outRow = sizeOf(outShape.slice(axis));
    let column = 0;
    for (const x of xs) {
      const row = sizeOf(x.shape.slice(axis));
      device.dispatch({
        key: 'concat',
        wgsl: CONCAT_WGSL,
        inputs: [x.storage],
        outputs: [y.storage],
        uniforms: [u32(x.size), u32(row), u32(outRow), u32(column)],
        workgroups: elementWorkgroups(x.size),
      });
      column += row;
    }
    return y;
  },
};

// One dispatch per input; one invocation copies one input element into its place in the
// output: row r of the input lands in row r of the output, `column` words in.
const CONCAT_WGSL = /* wgsl */ `
struct Uniforms { size: u32, row: u32, outRow: u32, column: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs: array<u32>;
@group(0) @binding(2) var<storage, read_write> ys: array<u32>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  ys[(index / u.row) * u.outRow + u.column + index % u.row] = xs[index];
}`;

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
  webgpu(x, indices, outer, inner, outShape) {
    const device = gpuDevice(x);
    const y = gpuOutput(device, outShape, x.dtype);
    const n = x.size / (outer * inner);
    device.dispatch({
      key: 'gather',
      wgsl: GATHER_WGSL,
      inputs: [x.storage, indices.storage],
      outputs: [y.storage],
      uniforms: [u32(y.size), u32(indices.size), u32(n), u32(inner)],
      workgroups: elementWorkgroups(y.size),
      status: true,
    });
    return y;
  },
};

/** Status code gather raises on WebGPU for an index outside [0, n): the GPU cannot throw
 * while the op is recorded, so the kernel clamps the index and records it; the next read
 * of any tensor on the device throws this error, and so does every read of a tensor
 * computed from the gather's result (src/device/deferred-errors.ts). */
const GATHER_OUT_OF_RANGE = 1;
registerStatusCode(
  GATHER_OUT_OF_RANGE,
  (words) => `gather: index ${words[1]! | 0} is out of range [0, ${words[2]}) (found on webgpu by the kernel, after the op returned; its result and what was computed from it are invalid)`,
);

// One invocation copies one output element: out[o, j, i] = x[o, indices[j], i].
const GATHER_WGSL = /* wgsl */ `
struct Uniforms { size: u32, m: u32, n: u32, inner: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs: array<u32>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;
@group(0) @binding(3) var<storage, read_write> ys: array<u32>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>, 4>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  let i = index % u.inner;
  let j = (index / u.inner) % u.m;
  let o = index / (u.inner * u.m);
  var at = indices[j];
  if (at < 0 || at >= i32(u.n)) {
    atomicStore(&status[1], bitcast<u32>(at));
    atomicStore(&status[2], u.n);
    atomicStore(&status[0], ${GATHER_OUT_OF_RANGE}u);
    at = clamp(at, 0, i32(u.n) - 1);
  }
  ys[index] = xs[(o * u.n + u32(at)) * u.inner + i];
}`;

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
  webgpu(dy, indices, outer, n, inner, outShape) {
    const device = gpuDevice(dy);
    const y = gpuOutput(device, outShape, 'float32');
    device.dispatch({
      key: 'scatterAdd',
      wgsl: SCATTER_ADD_WGSL,
      inputs: [dy.storage, indices.storage],
      outputs: [y.storage],
      uniforms: [u32(y.size), u32(indices.size), u32(n), u32(inner)],
      workgroups: elementWorkgroups(y.size),
    });
    return y;
  },
};

// One invocation computes one output element out[o, r, i] = Σ_{j : indices[j] = r} dy[o, j, i],
// scanning j in order: no float atomics, the same summation order as the CPU (so results
// match it exactly), and deterministic. The cost is O(n·m) per (o, i) column: fine for
// embeddings of a few thousand rows; a sort-based kernel would scale further.
const SCATTER_ADD_WGSL = /* wgsl */ `
struct Uniforms { size: u32, m: u32, n: u32, inner: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;
@group(0) @binding(3) var<storage, read_write> ys: array<f32>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  let i = index % u.inner;
  let r = i32((index / u.inner) % u.n);
  let o = index / (u.inner * u.n);
  var sum = 0.0;
  for (var j = 0u; j < u.m; j++) {
    if (indices[j] == r) { sum += dy[(o * u.m + j) * u.inner + i]; }
  }
  ys[index] = sum;
}`;

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
  webgpu(indices, depth, dtype) {
    const device = gpuDevice(indices);
    const y = gpuOutput(device, [...indices.shape, depth], dtype);
    device.dispatch({
      key: `oneHot/${wgslType(dtype)}`,
      wgsl: () => oneHotWgsl(dtype),
      inputs: [indices.storage],
      outputs: [y.storage],
      uniforms: [u32(y.size), u32(depth)],
      workgroups: elementWorkgroups(y.size),
    });
    return y;
  },
};

// One invocation writes one output element: 1 where the column is the row's index, else 0.
function oneHotWgsl(dtype: DType): string {
  const T = wgslType(dtype);
  return /* wgsl */ `
struct Uniforms { size: u32, depth: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read_write> ys: array<${T}>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  ys[index] = select(${T}(0), ${T}(1), indices[index / u.depth] == i32(index % u.depth));
}`;
}
