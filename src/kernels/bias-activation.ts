// The fused bias + activation of Dense and Conv2D layers, y = act(x + b) with b added along
// the last axis, and the activation's half of its gradient, dz = dy · act'(x + b), each one
// pass over the tensor (the composite is a broadcast add, then the activation: two passes
// forward, three back). The bias gradient, Σ dz over the leading axes, is a column sum
// (sum-columns.ts). Activations: 'identity' and 'relu', the ones layers fuse.

import { u32 } from '../device/uniforms.js';
import type { Tensor } from '../tensor.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';
import { biasActivationWasm, reluGradientWasm } from './wasm/bias-activation.js';
import { ELEMENTWISE_MAIN, VECTORS_PER_INVOCATION, WORKGROUP_SIZE, elementWorkgroups, gpuDevice, gpuOutput, isVectorizable, vectorizedMain, vectorizedWorkgroups } from './wgsl.js';

export type FusedActivation = 'identity' | 'relu';
export const FUSED_ACTIVATIONS: readonly FusedActivation[] = ['identity', 'relu'];

/** relu as the unary kernel computes it: −0 and negatives give +0, NaN stays NaN. */
const reluOf = (v: number): number => (v <= 0 ? 0 : v);

/** y[i] = act(x[i] + b[i mod C]), C = b's length (x's last axis). */
export const biasActivationKernel: Kernel<(x: Tensor, bias: Tensor, activation: FusedActivation) => Tensor> = {
  name: 'biasActivation',
  wasm: biasActivationWasm,
  cpu(x, bias, activation) {
    const X = cpuData(x) as Float32Array;
    const b = cpuData(bias) as Float32Array;
    const C = b.length;
    const Y = new Float32Array(X.length);
    for (let i = 0; i < X.length; i++) {
      const v = Math.fround(X[i]! + b[i % C]!);
      Y[i] = activation === 'relu' ? reluOf(v) : v;
    }
    return cpuTensor(Y, x.shape);
  },
  webgpu(x, bias, activation) {
    const device = gpuDevice(x);
    const y = gpuOutput(device, x.shape, 'float32');
    const columns = bias.size;
    const vectorized = columns % 4 === 0 && isVectorizable(x.size);
    const size = vectorized ? x.size / 4 : x.size;
    device.dispatch({
      key: `biasActivation/${activation}/${vectorized ? 'vec4' : 'scalar'}`,
      wgsl: () => biasActivationWgsl(activation, vectorized),
      inputs: [x.storage, bias.storage],
      outputs: [y.storage],
      uniforms: [u32(size), u32(vectorized ? columns / 4 : columns)],
      workgroups: vectorized ? vectorizedWorkgroups(x.size) : elementWorkgroups(x.size),
    });
    return y;
  },
};

/** dz[i] = dy[i] · [y[i] > 0], relu's derivative read from the fused output (y > 0 exactly
 * where x + b > 0). A product, not a select, as the composite relu gradient: a NaN or
 * infinite dy stays NaN where the gate is 0. */
export const reluGradientKernel: Kernel<(dy: Tensor, y: Tensor) => Tensor> = {
  name: 'reluGradient',
  wasm: reluGradientWasm,
  cpu(dy, y) {
    const DY = cpuData(dy) as Float32Array;
    const Y = cpuData(y) as Float32Array;
    const DZ = new Float32Array(DY.length);
    for (let i = 0; i < DY.length; i++) DZ[i] = DY[i]! * (Y[i]! > 0 ? 1 : 0);
    return cpuTensor(DZ, dy.shape);
  },
  webgpu(dy, y) {
    const device = gpuDevice(dy);
    const dz = gpuOutput(device, dy.shape, 'float32');
    const vectorized = isVectorizable(dy.size);
    device.dispatch({
      key: `reluGradient/${vectorized ? 'vec4' : 'scalar'}`,
      wgsl: () => reluGradientWgsl(vectorized),
      inputs: [dy.storage, y.storage],
      outputs: [dz.storage],
      uniforms: [u32(vectorized ? dy.size / 4 : dy.size)],
      workgroups: vectorized ? vectorizedWorkgroups(dy.size) : elementWorkgroups(dy.size),
    });
    return dz;
  },
};

// ------------------------------------------------------------------ WGSL

/** Sign tests on the bits (WGSL may assume floats are never NaN, so a comparison could
 * drop the NaN case): isPositive is 0 < v ≤ +∞, isNan is NaN. */
function bitTests(T: string): string {
  const U = T === 'f32' ? 'u32' : 'vec4<u32>';
  return /* wgsl */ `
fn isPositive(v: ${T}) -> ${T === 'f32' ? 'bool' : 'vec4<bool>'} { return bitcast<${U}>(v) - ${U}(1u) < ${U}(0x7f800000u); }
fn isNan(v: ${T}) -> ${T === 'f32' ? 'bool' : 'vec4<bool>'} { return (bitcast<${U}>(v) & ${U}(0x7fffffffu)) > ${U}(0x7f800000u); }`;
}

// One invocation computes one element y[index] = act(x[index] + b[index mod C]); vectorized
// (C a multiple of 4), several vec4s of 4 neighbouring columns each, b read as vec4s too:
// the vec4s are WORKGROUP_SIZE apart, so their bias column advances by WORKGROUP_SIZE mod C,
// two divisions per invocation instead of one per vec4 (integer division is a scalar loop
// per lane on a CPU adapter, and its code cost a quarter of this shader's compile time).
// relu keeps positive values and NaN, and gives +0 for the rest (as the unary relu kernel).
function biasActivationWgsl(activation: FusedActivation, vectorized: boolean): string {
  const T = vectorized ? 'vec4<f32>' : 'f32';
  const apply = activation === 'relu' ? `select(${T}(0.0), v, isPositive(v) | isNan(v))` : 'v';
  const main = vectorized
    ? /* wgsl */ `
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first = (wid.x + wid.y * groups.x) * ${WORKGROUP_SIZE * VECTORS_PER_INVOCATION}u + lid.x;
  let advance = ${WORKGROUP_SIZE}u % u.columns;
  var column = first % u.columns;
  for (var k = 0u; k < ${VECTORS_PER_INVOCATION}u; k++) {
    let index = first + k * ${WORKGROUP_SIZE}u;
    if (index >= u.size) { break; }
    let v = x[index] + b[column]; y[index] = ${apply};
    column += advance;
    if (column >= u.columns) { column -= u.columns; }
  }
}`
    : `${ELEMENTWISE_MAIN}\n  if (index >= u.size) { return; }\n  let v = x[index] + b[index % u.columns]; y[index] = ${apply};\n}`;
  return /* wgsl */ `${bitTests(T)}
struct Uniforms { size: u32, columns: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> x: array<${T}>;
@group(0) @binding(2) var<storage, read> b: array<${T}>;
@group(0) @binding(3) var<storage, read_write> y: array<${T}>;
${main}`;
}

// One invocation computes dz[index] = dy[index] · [y[index] > 0] (vectorized: vec4s).
function reluGradientWgsl(vectorized: boolean): string {
  const T = vectorized ? 'vec4<f32>' : 'f32';
  const body = `dz[index] = dy[index] * select(${T}(0.0), ${T}(1.0), isPositive(y[index]));`;
  return /* wgsl */ `${bitTests(T)}
struct Uniforms { size: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> dy: array<${T}>;
@group(0) @binding(2) var<storage, read> y: array<${T}>;
@group(0) @binding(3) var<storage, read_write> dz: array<${T}>;
${vectorized ? vectorizedMain(body) : `${ELEMENTWISE_MAIN}\n  if (index >= u.size) { return; }\n  ${body}\n}`}`;
}
