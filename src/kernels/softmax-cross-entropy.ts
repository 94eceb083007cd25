// The fused softmax cross-entropy: one pass per row over the logits, never forming the
// softmax or the one-hot target in memory. Rows are [N, C] logits; the target of a row is
// either an int32 class label (target_c = [c = label]) or a float32 probability row,
// smoothed as target ← (1 − ε)·target + ε/C.
//   forward:  loss_n = Σ_c t_c · (lse_n − x_c),   lse_n = m + log Σ_c e^{x_c − m}, m = max_c x_c
//   backward: dx_{n,c} = dy_n · (softmax_c · Σ_c' t_c' − t_c)   (= softmax − target when
//             the target row sums to 1, as every label and probability row does)
// The composite definition −Σ t · logSoftmax(x) is what test/losses holds both to.
// The op (src/losses/softmax-cross-entropy.ts) checks labels are in [0, C) before calling.

import { f32, u32 } from '../device/uniforms.js';
import { registerStatusCode } from '../device/webgpu.js';
import type { Tensor } from '../tensor.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';
import { ELEMENTWISE_MAIN, elementWorkgroups, gpuDevice, gpuOutput, withScratch } from './wgsl.js';
import { WGSL_IEEE } from './ieee.js';

export interface SoftmaxCrossEntropyInfo {
  rows: number;
  classes: number;
  /** ε of label smoothing, in [0, 1). */
  labelSmoothing: number;
}

/** Calls visit(c, t_c) for every class of row n; returns Σ_c t_c. */
function forEachTarget(labels: Tensor, n: number, info: SoftmaxCrossEntropyInfo, visit: (c: number, t: number) => void): number {
  const { classes: C, labelSmoothing: eps } = info;
  const data = cpuData(labels);
  let total = 0;
  if (labels.dtype === 'int32') {
    const label = data[n]!;
    for (let c = 0; c < C; c++) {
      const t = (c === label ? 1 - eps : 0) + eps / C;
      total += t;
      visit(c, t);
    }
  } else {
    for (let c = 0; c < C; c++) {
      const t = (1 - eps) * data[n * C + c]! + eps / C;
      total += t;
      visit(c, t);
    }
  }
  return total;
}

/** Row n: m = max, lse = m + log Σ e^{x − m} (float64 accumulation). */
function logSumExpRow(x: ArrayLike<number>, base: number, C: number): number {
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, x[base + c]!);
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(x[base + c]! - m);
  return m + Math.log(s);
}

/** One output per row: the cross-entropy loss of that row. */
export const softmaxCrossEntropyKernel: Kernel<(logits: Tensor, labels: Tensor, info: SoftmaxCrossEntropyInfo) => Tensor> = {
  name: 'softmaxCrossEntropy',
  cpu(logits, labels, info) {
    const x = cpuData(logits);
    const out = new Float32Array(info.rows);
    for (let n = 0; n < info.rows; n++) {
      const base = n * info.classes;
      const lse = logSumExpRow(x, base, info.classes);
      let loss = 0;
      forEachTarget(labels, n, info, (c, t) => {
        if (t !== 0) loss += t * (lse - x[base + c]!);
      });
      out[n] = loss;
    }
    return cpuTensor(out, [info.rows]);
  },
  webgpu(logits, labels, info) {
    const device = gpuDevice(logits);
    const out = gpuOutput(device, [info.rows], 'float32');
    device.dispatch({
      key: `softmaxCrossEntropy/${labels.dtype}`,
      wgsl: () => crossEntropyWgsl(labels.dtype === 'int32'),
      inputs: [logits.storage, labels.storage],
      outputs: [out.storage],
      uniforms: sceUniforms(info),
      workgroups: elementWorkgroups(info.rows),
      status: labels.dtype === 'int32',
    });
    return out;
  },
};

/** Status code raised on WebGPU for an int label outside [0, C) (the op checks CPU labels
 * before calling; GPU labels are only seen by the kernel, and the error surfaces at the next
 * read, as for gather). A distinctive number, so it cannot collide with another file's codes. */
const LABEL_OUT_OF_RANGE = 0x53ce;
registerStatusCode(
  LABEL_OUT_OF_RANGE,
  (words) => `softmaxCrossEntropy: label ${words[1]! | 0} is out of range [0, ${words[2]}) (found on webgpu by the kernel, after the op returned; that loss and its gradient are invalid)`,
);

/** One output per logit: dy_n · (softmax_c · Σt − t_c). */
export const softmaxCrossEntropyGradKernel: Kernel<(logits: Tensor, labels: Tensor, dy: Tensor, info: SoftmaxCrossEntropyInfo) => Tensor> = {
  name: 'softmaxCrossEntropyGrad',
  cpu(logits, labels, dy, info) {
    const x = cpuData(logits);
    const g = cpuData(dy);
    const C = info.classes;
    const out = new Float32Array(info.rows * C);
    for (let n = 0; n < info.rows; n++) {
      const base = n * C;
      const lse = logSumExpRow(x, base, C);
      const total = forEachTarget(labels, n, info, (c, t) => {
        out[base + c] = -t;
      });
      for (let c = 0; c < C; c++) out[base + c] = g[n]! * (Math.exp(x[base + c]! - lse) * total + out[base + c]!);
    }
    return cpuTensor(out, [info.rows, C]);
  },
  webgpu(logits, labels, dy, info) {
    const device = gpuDevice(logits);
    const dx = gpuOutput(device, [info.rows, info.classes], 'float32');
    // (lse_n, Σt) per row
    withScratch(device, [{ dtype: 'float32', size: info.rows * 2 }], (rowStats) => {
      device.dispatch({
        key: `softmaxCrossEntropyRowStats/${labels.dtype}`,
        wgsl: () => rowStatsWgsl(labels.dtype === 'int32'),
        inputs: [logits.storage, labels.storage],
        outputs: [rowStats],
        uniforms: sceUniforms(info),
        workgroups: elementWorkgroups(info.rows),
        status: labels.dtype === 'int32',
      });
      device.dispatch({
        key: `softmaxCrossEntropyGrad/${labels.dtype}`,
        wgsl: () => gradWgsl(labels.dtype === 'int32'),
        inputs: [logits.storage, labels.storage, dy.storage, rowStats],
        outputs: [dx.storage],
        uniforms: sceUniforms(info),
        workgroups: elementWorkgroups(info.rows * info.classes),
      });
    });
    return dx;
  },
};

// ------------------------------------------------------------------ WGSL
// One invocation per row for the row passes: C is a class count (10 … a few thousand) and a
// training batch has tens to thousands of rows, so rows alone fill the device; a workgroup
// tree per row would add barriers, which lavapipe pays dearly for, to gain on huge C only.

function sceUniforms(info: SoftmaxCrossEntropyInfo) {
  return [u32(info.rows), u32(info.classes), f32(info.labelSmoothing)];
}

function sceHeader(intLabels: boolean): string {
  return /* wgsl */ `
struct Uniforms { rows: u32, classes: u32, smoothing: f32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<${intLabels ? 'i32' : 'f32'}>;
// t_c of row n: the (smoothed) one-hot of an int label, or the (smoothed) probability row.
fn targetOf(n: u32, c: u32) -> f32 {
  let eps = u.smoothing;
  ${intLabels ? 'return select(0.0, 1.0 - eps, i32(c) == labels[n]) + eps / f32(u.classes);' : 'return (1.0 - eps) * labels[n * u.classes + c] + eps / f32(u.classes);'}
}
${WGSL_IEEE}
// lse_n = m + log Σ_c e^{x_c − m}, m = max_c x_c (started from x_0: no infinity needed; a
// NaN logit makes m, so the row's loss and gradient, NaN, as on the CPU).
fn logSumExp(n: u32) -> f32 {
  let base = n * u.classes;
  var m = x[base];
  for (var c = 1u; c < u.classes; c++) { m = maxNan(m, x[base + c]); }
  var s = 0.0;
  for (var c = 0u; c < u.classes; c++) { s += exp(x[base + c] - m); }
  return m + log(s);
}`;
}

// One invocation computes one row's loss: Σ_c t_c · (lse − x_c).
function crossEntropyWgsl(intLabels: boolean): string {
  return /* wgsl */ `${sceHeader(intLabels)}
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
${labelCheck(intLabels)}
  let lse = logSumExp(index);
  var total = 0.0;
  for (var c = 0u; c < u.classes; c++) {
    let t = targetOf(index, c);
    if (t != 0.0 || isNan(t)) { total += t * (lse - x[index * u.classes + c]); } // 0 · (lse − (−Inf)) would be NaN
  }
  loss[index] = total;
}`;
}

// The start of a one-invocation-per-row kernel whose output is binding 3: with int labels,
// a label outside [0, C) is raised in the status words at binding 4 (the loss and the
// gradient both check, so both are known bad: src/device/deferred-errors.ts).
function labelCheck(intLabels: boolean): string {
  if (!intLabels) return `${ELEMENTWISE_MAIN}
  if (index >= u.rows) { return; }`;
  return /* wgsl */ `@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>, 4>;
${ELEMENTWISE_MAIN}
  if (index >= u.rows) { return; }
  let label = labels[index];
  if (label < 0 || label >= i32(u.classes)) {
    atomicStore(&status[1], bitcast<u32>(label));
    atomicStore(&status[2], u.classes);
    atomicStore(&status[0], ${LABEL_OUT_OF_RANGE}u);
  }`;
}

// One invocation computes one row's (lse, Σ_c t_c), which every logit of the row needs.
function rowStatsWgsl(intLabels: boolean): string {
  return /* wgsl */ `${sceHeader(intLabels)}
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;
${labelCheck(intLabels)}
  var total = 0.0;
  for (var c = 0u; c < u.classes; c++) { total += targetOf(index, c); }
  stats[2u * index] = logSumExp(index);
  stats[2u * index + 1u] = total;
}`;
}

// One invocation computes one logit's gradient: dy_n · (e^{x − lse} · Σt − t_c).
function gradWgsl(intLabels: boolean): string {
  return /* wgsl */ `${sceHeader(intLabels)}
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
${ELEMENTWISE_MAIN}
  if (index >= u.rows * u.classes) { return; }
  let n = index / u.classes;
  let c = index % u.classes;
  dx[index] = dy[n] * (exp(x[index] - stats[2u * n]) * stats[2u * n + 1u] - targetOf(n, c));
}`;
}
