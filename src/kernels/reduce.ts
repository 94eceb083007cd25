// Reductions over the last axis of an [outer, inner] view: the op layer first moves the
// reduced axes to the end (a transpose, skipped when they already are), so one kernel
// serves sum, max, min, argmax and argmin over any set of axes.

import { type DType, typedArrayFor } from '../dtype.js';
import { u32 } from '../device/uniforms.js';
import type { Storage } from '../device/device.js';
import type { WebGpuDevice } from '../device/webgpu.js';
import type { Tensor } from '../tensor.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';
import { gpuDevice, gpuOutput, wgslType } from './wgsl.js';

export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin';

/** out[o] = reduce(x[o*inner .. o*inner+inner)); arg ops give the first index found. */
export const reduceKernel: Kernel<(op: ReduceOp, x: Tensor, outer: number, inner: number) => Tensor> = {
  name: 'reduce',
  cpu(op, x, outer, inner) {
    const input = cpuData(x);
    const out = typedArrayFor(op === 'argmax' || op === 'argmin' ? 'int32' : x.dtype, outer);
    for (let o = 0; o < outer; o++) {
      const base = o * inner;
      if (op === 'sum') {
        let acc = 0; // float64 accumulator: the reference is more exact than the GPU's tree
        for (let i = 0; i < inner; i++) acc += input[base + i]!;
        out[o] = acc;
      } else if (op === 'max' || op === 'min') {
        let best = op === 'max' ? -Infinity : Infinity;
        for (let i = 0; i < inner; i++) {
          const v = input[base + i]!;
          if (op === 'max' ? v > best || Number.isNaN(v) : v < best || Number.isNaN(v)) best = v;
          if (Number.isNaN(best)) break;
        }
        out[o] = best;
      } else {
        let best = input[base]!;
        let at = 0;
        for (let i = 1; i < inner; i++) {
          const v = input[base + i]!;
          if (op === 'argmax' ? v > best : v < best) {
            best = v;
            at = i;
          }
        }
        out[o] = at;
      }
    }
    return cpuTensor(out, [outer]);
  },
  webgpu(op, x, outer, inner) {
    const device = gpuDevice(x);
    const isArg = op === 'argmax' || op === 'argmin';
    const y = gpuOutput(device, [outer], isArg ? 'int32' : x.dtype);
    if (outer === 0) return y;
    // Few long rows: a first pass reduces chunks of REDUCE_CHUNK elements in parallel
    // workgroups, a second pass reduces each row's partial results.
    const twoPass = inner > 2 * REDUCE_CHUNK && outer < TWO_PASS_MAX_ROWS;
    if (!twoPass) {
      reducePass(device, op, x.dtype, { values: x.storage }, isArg ? [device.empty('float32', outer), y.storage] : [y.storage], outer, inner, inner, 1);
      return y;
    }
    const chunks = Math.ceil(inner / REDUCE_CHUNK);
    const partial = device.empty(x.dtype, outer * chunks);
    const partialIndex = isArg ? device.empty('int32', outer * chunks) : null;
    reducePass(device, op, x.dtype, { values: x.storage }, partialIndex ? [partial, partialIndex] : [partial], outer, inner, REDUCE_CHUNK, chunks);
    const finalValues = isArg ? device.empty(x.dtype, outer) : y.storage;
    reducePass(device, op, x.dtype, { values: partial, indices: partialIndex ?? undefined }, isArg ? [finalValues, y.storage] : [y.storage], outer, chunks, chunks, 1);
    device.release(partial);
    if (partialIndex) device.release(partialIndex);
    if (isArg) device.release(finalValues);
    return y;
  },
};

// ---------------------------------------------------------------- WebGPU

/** Elements one workgroup of the first pass reduces when a row is split in two passes. */
const REDUCE_CHUNK = 4096;
/** Rows at or past this count already give enough workgroups: one pass. */
const TWO_PASS_MAX_ROWS = 64;
/** Invocations per workgroup of the tree kernel (a workgroup per output). */
const REDUCE_WORKGROUP = 256;
/** Segments this short are reduced by one invocation each (no workgroup tree): barriers
 * cost more than they save here, especially on CPU adapters. */
const SERIAL_MAX = 64;

/** One reduction pass: views the input as [rows, inner] and writes rows × chunks outputs,
 * output w reducing elements [c·chunk, min((c+1)·chunk, inner)) of row ⌊w / chunks⌋ (c = w mod chunks). */
function reducePass(
  device: WebGpuDevice,
  op: ReduceOp,
  dtype: DType,
  input: { values: Storage; indices?: Storage | undefined },
  outputs: Storage[],
  rows: number,
  inner: number,
  chunk: number,
  chunks: number,
): void {
  const serial = chunk <= SERIAL_MAX;
  const withIndices = input.indices !== undefined;
  const outputsCount = rows * chunks;
  device.dispatch({
    key: `reduce/${op}/${wgslType(dtype)}/${serial ? 'serial' : 'tree'}${withIndices ? '/indexed' : ''}`,
    wgsl: () => reduceWgsl(op, dtype, serial, withIndices),
    inputs: withIndices ? [input.values, input.indices!] : [input.values],
    outputs,
    uniforms: [u32(rows), u32(inner), u32(chunk), u32(chunks)],
    workgroups: serial ? Math.ceil(outputsCount / REDUCE_WORKGROUP) : outputsCount,
  });
}

// In the tree variant one workgroup computes one output: its 256 invocations stride over
// the segment (coalesced reads), each folding its elements into one partial, then a
// halving tree in workgroup memory combines the partials in a fixed order (deterministic,
// no atomics). In the serial variant one invocation folds one whole (short) segment.
// Arg ops carry (value, index) pairs and prefer the lower index on ties, as the CPU does.
function reduceWgsl(op: ReduceOp, dtype: DType, serial: boolean, withIndices: boolean): string {
  const T = wgslType(dtype);
  const isArg = op === 'argmax' || op === 'argmin';
  // ±Infinity from a runtime value (u.rows · 0): WGSL rejects infinite constants
  const lowest = T === 'f32' ? 'bitcast<f32>(0xff800000u + u.rows * 0u)' : 'i32(-2147483647 - 1)';
  const highest = T === 'f32' ? 'bitcast<f32>(0x7f800000u + u.rows * 0u)' : 'i32(2147483647)';
  const init = op === 'sum' ? `${T}(0)` : op === 'max' || op === 'argmax' ? lowest : highest;
  // does candidate (v, i) replace the running (best, at)?
  const better = {
    sum: '',
    max: T === 'f32' ? 'v > best || isNan(v)' : 'v > best',
    min: T === 'f32' ? 'v < best || isNan(v)' : 'v < best',
    argmax: 'v > best || (v == best && i < at)',
    argmin: 'v < best || (v == best && i < at)',
  }[op];
  const fold = op === 'sum' ? 'best = best + v;' : `if (${better}) { best = v; at = i; }`;
  const outputs = isArg
    ? `@group(0) @binding(${withIndices ? 3 : 2}) var<storage, read_write> ys: array<${T}>;
@group(0) @binding(${withIndices ? 4 : 3}) var<storage, read_write> yi: array<i32>;`
    : `@group(0) @binding(${withIndices ? 3 : 2}) var<storage, read_write> ys: array<${T}>;`;
  const write = isArg ? 'ys[w] = best; yi[w] = at;' : 'ys[w] = best;';
  const readIndex = withIndices ? 'xi[row * u.inner + e]' : 'i32(e)';
  const header = /* wgsl */ `
struct Uniforms { rows: u32, inner: u32, chunk: u32, chunks: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs: array<${T}>;
${withIndices ? '@group(0) @binding(2) var<storage, read> xi: array<i32>;' : ''}
${outputs}
fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }`;
  if (serial) {
    return /* wgsl */ `${header}
@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let w = gid.x + gid.y * groups.x * ${REDUCE_WORKGROUP}u;
  if (w >= u.rows * u.chunks) { return; }
  let row = w / u.chunks;
  let start = (w % u.chunks) * u.chunk;
  let end = min(start + u.chunk, u.inner);
  var best = ${init};
  var at = 2147483647;
  for (var e = start; e < end; e++) {
    let v = xs[row * u.inner + e];
    let i = ${readIndex};
    ${fold}
  }
  ${write}
}`;
  }
  const combine =
    op === 'sum'
      ? 'partial[lid] = partial[lid] + partial[lid + stride];'
      : `let v = partial[lid + stride]; let i = partialAt[lid + stride]; var best = partial[lid]; var at = partialAt[lid];
      if (${better}) { partial[lid] = v; partialAt[lid] = i; }`;
  return /* wgsl */ `${header}
var<workgroup> partial: array<${T}, ${REDUCE_WORKGROUP}>;
var<workgroup> partialAt: array<i32, ${REDUCE_WORKGROUP}>;
@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let w = wid.x + wid.y * groups.x; // uniform across the workgroup: safe before barriers
  if (w >= u.rows * u.chunks) { return; }
  let row = w / u.chunks;
  let start = (w % u.chunks) * u.chunk;
  let end = min(start + u.chunk, u.inner);
  var best = ${init};
  var at = 2147483647;
  for (var e = start + lid; e < end; e += ${REDUCE_WORKGROUP}u) {
    let v = xs[row * u.inner + e];
    let i = ${readIndex};
    ${fold}
  }
  partial[lid] = best;
  partialAt[lid] = at;
  workgroupBarrier();
  for (var stride = ${REDUCE_WORKGROUP / 2}u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      ${combine}
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let best = partial[0];
    let at = partialAt[0];
    ${write}
  }
}`;
}
