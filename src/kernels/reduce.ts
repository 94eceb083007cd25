// Reductions over the last axis of an [outer, inner] view: the op layer first moves the
// reduced axes to the end (a transpose, skipped when they already are), so one kernel
// serves sum, max, min, argmax and argmin over any set of axes.

import { type DType, typedArrayFor } from '../dtype.js';
import { u32 } from '../device/uniforms.js';
import type { Storage } from '../device/device.js';
import type { WebGpuDevice } from '../device/webgpu.js';
import type { Tensor } from '../tensor.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';
import { gpuDevice, gpuOutput, isSoftwareAdapter, isVectorizable, wgslType, withScratch } from './wgsl.js';
import { WGSL_IEEE } from './ieee.js';

export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin';

/** out[o] = reduce(x[o*inner .. o*inner+inner)). A NaN wins every comparison, as in PyTorch:
 * max and min of a row holding NaN are NaN, argmax and argmin give the index of its first
 * NaN; otherwise the arg ops give the first index of the extremum. */
export const reduceKernel: Kernel<(op: ReduceOp, x: Tensor, outer: number, inner: number) => Tensor> = {
  name: 'reduce',
  cpu(op, x, outer, inner) {
    const input = cpuData(x);
    const out = typedArrayFor(op === 'argmax' || op === 'argmin' ? 'int32' : x.dtype, outer);
    for (let o = 0; o < outer; o++) {
      const base = o * inner;
      if (op === 'sum' && x.dtype === 'int32') {
        let acc = 0; // int32 sums wrap modulo 2³², as on the GPU (in any order)
        for (let i = 0; i < inner; i++) acc = (acc + input[base + i]!) | 0;
        out[o] = acc;
      } else if (op === 'sum') {
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
        for (let i = 1; i < inner && !Number.isNaN(best); i++) {
          const v = input[base + i]!;
          if (Number.isNaN(v) || (op === 'argmax' ? v > best : v < best)) {
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
    const software = isSoftwareAdapter(gpuDevice(x).adapterInfo);
    return reduceOnWebGpu(op, x, outer, inner, FIRST_PASS_WORKGROUPS[software ? 'software' : 'gpu']);
  },
};

/** The WebGPU reduction with the first pass of a split aiming at `firstPassWorkgroups`
 * (the kernel passes its adapter's FIRST_PASS_WORKGROUPS; tests pass both). Few long rows:
 * a first pass reduces chunks of each row in parallel workgroups, a second pass reduces
 * each row's partial results. */
export function reduceOnWebGpu(op: ReduceOp, x: Tensor, outer: number, inner: number, firstPassWorkgroups: number): Tensor {
  const device = gpuDevice(x);
  const isArg = op === 'argmax' || op === 'argmin';
  const y = gpuOutput(device, [outer], isArg ? 'int32' : x.dtype);
  if (outer === 0) return y;
  const chunk = chunkLength(outer, inner, firstPassWorkgroups);
  if (chunk === inner) {
    // arg ops write the winning values too: a scratch output nobody reads
    if (!isArg) reducePass(device, op, x.dtype, { values: x.storage }, [y.storage], outer, inner, inner, 1);
    else withScratch(device, [{ dtype: x.dtype, size: outer }], (values) => reducePass(device, op, x.dtype, { values: x.storage }, [values, y.storage], outer, inner, inner, 1));
    return y;
  }
  const chunks = Math.ceil(inner / chunk);
  if (!isArg) {
    withScratch(device, [{ dtype: x.dtype, size: outer * chunks }], (partial) => {
      reducePass(device, op, x.dtype, { values: x.storage }, [partial], outer, inner, chunk, chunks);
      reducePass(device, op, x.dtype, { values: partial }, [y.storage], outer, chunks, chunks, 1);
    });
    return y;
  }
  const partials = [
    { dtype: x.dtype, size: outer * chunks },
    { dtype: 'int32' as const, size: outer * chunks },
    { dtype: x.dtype, size: outer },
  ];
  withScratch(device, partials, (partial, partialIndex, finalValues) => {
    reducePass(device, op, x.dtype, { values: x.storage }, [partial, partialIndex], outer, inner, chunk, chunks);
    reducePass(device, op, x.dtype, { values: partial, indices: partialIndex }, [finalValues, y.storage], outer, chunks, chunks, 1);
  });
  return y;
}

// ---------------------------------------------------------------- WebGPU

/** Rows this long or shorter are never split in two passes. */
const MIN_CHUNK = 4096;
/** Rows at or past this count already give enough workgroups: one pass. */
const TWO_PASS_MAX_ROWS = 64;
/** How many first-pass workgroups a split aims at. On a software adapter every workgroup
 * pays for its barrier tree in coroutine switches: a few dozen fat workgroups keep the CPU
 * threads busy at 2.5× the throughput of a thousand. A GPU wants many more in flight to
 * cover memory latency. Measurements: bench/kernel-tuning.md. */
export const FIRST_PASS_WORKGROUPS = { software: 32, gpu: 1024 };
/** Invocations per workgroup (tree: per output; serial: outputs per workgroup). 64 rather
 * than 256: two fewer barrier levels (on lavapipe a 256-wide tree cost 4× a 64-wide one);
 * on GPUs 64 is two warps or one wavefront, as tfjs uses below 4096 elements. */
const REDUCE_WORKGROUP = 64;
/** Segments this short are reduced by one invocation each (no workgroup tree): barriers
 * cost more than they save here, especially on CPU adapters. */
const SERIAL_MAX = 64;

/** The length of the chunks a row is cut into for the first of two passes, or `inner`
 * for one pass. A multiple of 4, so vectorized rows stay vectorized in their chunks. */
function chunkLength(outer: number, inner: number, firstPassWorkgroups: number): number {
  if (inner <= 2 * MIN_CHUNK || outer >= TWO_PASS_MAX_ROWS) return inner;
  const chunks = Math.max(2, Math.min(Math.ceil(inner / MIN_CHUNK), Math.ceil(firstPassWorkgroups / outer)));
  return Math.ceil(inner / chunks / 4) * 4;
}

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
  // vec4 reads need every segment to start on a vec4: rows and chunks multiples of 4
  const vectorized = (op === 'sum' || op === 'max' || op === 'min') && isVectorizable(inner) && chunk % 4 === 0;
  const outputsCount = rows * chunks;
  device.dispatch({
    key: `reduce/${op}/${wgslType(dtype)}/${serial ? 'serial' : 'tree'}${withIndices ? '/indexed' : ''}${vectorized ? '/vec4' : ''}`,
    wgsl: () => reduceWgsl(op, dtype, serial, withIndices, vectorized),
    inputs: withIndices ? [input.values, input.indices!] : [input.values],
    outputs,
    uniforms: [u32(rows), u32(inner), u32(chunk), u32(chunks)],
    workgroups: serial ? Math.ceil(outputsCount / REDUCE_WORKGROUP) : outputsCount,
  });
}

// In the tree variant one workgroup computes one output: its 64 invocations stride over
// the segment (coalesced reads), each folding its elements into one partial, then a
// halving tree in workgroup memory combines the partials in a fixed order (deterministic,
// no atomics). In the serial variant one invocation folds one whole (short) segment.
// Vectorized (sum, max, min over segments starting on a vec4): the input is read as vec4s;
// sum keeps four running sums (a vec4) added at the end, max and min four running extrema
// (and whether a NaN was seen). Arg ops carry (value, index) pairs and prefer the lower index on
// ties, as the CPU does; NaN beats every number (see `better`).
function reduceWgsl(op: ReduceOp, dtype: DType, serial: boolean, withIndices: boolean, vectorized: boolean): string {
  const T = wgslType(dtype);
  const isArg = op === 'argmax' || op === 'argmin';
  // ±Infinity from a runtime value (u.rows · 0): WGSL rejects infinite constants
  const lowest = T === 'f32' ? 'bitcast<f32>(0xff800000u + u.rows * 0u)' : 'i32(-2147483647 - 1)';
  const highest = T === 'f32' ? 'bitcast<f32>(0x7f800000u + u.rows * 0u)' : 'i32(2147483647)';
  const init = op === 'sum' ? `${T}(0)` : op === 'max' || op === 'argmax' ? lowest : highest;
  // does candidate (v, i) replace the running (best, at)? For floats NaN is tested by its
  // bits before any comparison: a NaN replaces any number, and is replaced by nothing but
  // an earlier NaN (the arg ops' partial results may arrive out of order).
  const order = op === 'max' || op === 'argmax' ? '>' : '<';
  let better = {
    sum: '',
    max: T === 'f32' ? '!isNan(best) && (isNan(v) || v > best)' : 'v > best',
    min: T === 'f32' ? '!isNan(best) && (isNan(v) || v < best)' : 'v < best',
    argmax: '',
    argmin: '',
  }[op];
  if (isArg) {
    const byValue = `v ${order} best || (v == best && i < at)`;
    better = T === 'f32' ? `select(!isNan(best) && (${byValue}), !isNan(best) || i < at, isNan(v))` : byValue;
  }
  const fold = op === 'sum' ? 'best = best + v;' : `if (${better}) { best = v; at = i; }`;
  const outputs = isArg
    ? `@group(0) @binding(${withIndices ? 3 : 2}) var<storage, read_write> ys: array<${T}>;
@group(0) @binding(${withIndices ? 4 : 3}) var<storage, read_write> yi: array<i32>;`
    : `@group(0) @binding(${withIndices ? 3 : 2}) var<storage, read_write> ys: array<${T}>;`;
  const write = isArg ? 'ys[w] = best; yi[w] = at;' : 'ys[w] = best;';
  const readIndex = withIndices ? 'xi[row * u.inner + e]' : 'i32(e)';
  // the loop over the segment [start, end) from `first` in steps of `step` (in elements, or
  // in vec4s when vectorized), folding into `best` (and `at`)
  // Vectorized max/min fold whole vec4s with the builtin and remember separately whether a
  // NaN went by (tested by bits): the result is NaN if one did, whatever max() made of it.
  const nanCheck = T === 'f32' && op !== 'sum' ? 'sawNan = sawNan | any((bitcast<vec4<u32>>(q) & vec4(0x7fffffffu)) > vec4(0x7f800000u)); ' : '';
  const vectorFold = op === 'sum' ? 'acc += q;' : `${nanCheck}acc = ${op}(acc, q);`;
  const vectorEnd =
    op === 'sum'
      ? 'best = (acc.x + acc.y) + (acc.z + acc.w);'
      : `best = ${op}(${op}(acc.x, acc.y), ${op}(acc.z, acc.w));${T === 'f32' ? ' if (sawNan) { best = nanValue(); }' : ''}`;
  const loop = (first: string, step: string): string =>
    vectorized
      ? /* wgsl */ `var acc = vec4<${T}>(${op === 'sum' ? '0' : 'best'});${nanCheck ? '\n  var sawNan = false;' : ''}
  let base = row * (u.inner / 4u);
  for (var e = start / 4u + ${first}; e < end / 4u; e += ${step}) {
    let q = xs4[base + e];
    ${vectorFold}
  }
  ${vectorEnd}`
      : /* wgsl */ `for (var e = start + ${first}; e < end; e += ${step}) {
    let v = xs[row * u.inner + e];
    let i = ${readIndex};
    ${fold}
  }`;
  const header = /* wgsl */ `
struct Uniforms { rows: u32, inner: u32, chunk: u32, chunks: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
${vectorized ? `@group(0) @binding(1) var<storage, read> xs4: array<vec4<${T}>>;` : `@group(0) @binding(1) var<storage, read> xs: array<${T}>;`}
${withIndices ? '@group(0) @binding(2) var<storage, read> xi: array<i32>;' : ''}
${outputs}
${WGSL_IEEE}`;
  // workgroup (or invocation) w reduces chunk w % chunks of row w / chunks: [start, end)
  const segment = /* wgsl */ `if (w >= u.rows * u.chunks) { return; }
  let row = w / u.chunks;
  let start = (w % u.chunks) * u.chunk;
  let end = min(start + u.chunk, u.inner);
  var best = ${init};
  var at = 2147483647;`;
  if (serial) {
    return /* wgsl */ `${header}
@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let w = gid.x + gid.y * groups.x * ${REDUCE_WORKGROUP}u;
  ${segment}
  ${loop('0u', '1u')}
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
fn main(@builtin(local_invocation_id) local: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let lid = local.x;
  let w = wid.x + wid.y * groups.x; // uniform across the workgroup: safe before barriers
  ${segment}
  ${loop('lid', `${REDUCE_WORKGROUP}u`)}
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
