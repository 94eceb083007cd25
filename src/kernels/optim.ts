// Fused optimizer updates: one kernel per parameter and step, reading the parameter, its
// gradient and its state once and writing the new parameter and state in place, where the
// optimizer's composite math (src/optim: sgdUpdate, adamUpdate, rmspropUpdate) takes 6–12
// elementwise ops, each a pass over memory and a fresh tensor. Every device runs these
// kernels (through the ops in src/ops/optimizer-updates.ts); test/webgpu/kernels-optim holds
// them to the composite definitions. Hyperparameters (learning rate, β, t's bias
// corrections, flags) travel in the uniform buffer, so a learning-rate schedule or the step
// count never compiles a new pipeline.
//
//   SGD      g ← g + λp;  b ← μb + g;  step = nesterov ? g + μb : b;  p ← p − η·step
//   Adam     g ← g + λp (L2) or p ← p − ηλp (decoupled, AdamW);  m ← β₁m + (1−β₁)g;
//            v ← β₂v + (1−β₂)g²;  p ← p − η · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
//   RMSProp  s ← ρs + (1−ρ)g²;  centered: ḡ ← ρḡ + (1−ρ)g, d = √(s − ḡ²) + ε, else d = √s + ε;
//            momentum μ > 0: b ← μb + g/d, p ← p − η·b;  else p ← p − η·g/d   (as PyTorch)

import { f32, u32 } from '../device/uniforms.js';
import type { Tensor } from '../tensor.js';
import { type Kernel, cpuData } from './kernel.js';
import { adamUpdateWasm, sgdUpdateWasm } from './wasm/optim.js';
import { ELEMENTWISE_MAIN, elementWorkgroups, gpuDevice, isVectorizable, vectorizedMain, vectorizedWorkgroups } from './wgsl.js';

/** Parameters of a size divisible by 4 update as vec4s (several per invocation, as the
 * vectorized elementwise kernels): the same formulas, four elements per load and store. */
function updateLaunch(size: number): { vectorized: boolean; size: number; workgroups: number; variant: string } {
  const vectorized = isVectorizable(size);
  return vectorized
    ? { vectorized, size: size / 4, workgroups: vectorizedWorkgroups(size), variant: '/vec4' }
    : { vectorized, size, workgroups: elementWorkgroups(size), variant: '' };
}

/** The entry point of an update kernel: `body` runs for element (or vec4) `index`. */
function updateMain(vectorized: boolean, body: string): string {
  return vectorized ? vectorizedMain(body) : `${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  ${body.trim()}
}`;
}

export interface SGDUpdateHyperparameters {
  learningRate: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

export interface AdamUpdateHyperparameters {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** true: AdamW's decoupled decay; false: L2 added to the gradient. */
  decoupled: boolean;
  /** t, counting from 1. */
  step: number;
}

export interface RMSPropUpdateHyperparameters {
  learningRate: number;
  /** ρ, the decay of the running means (PyTorch's alpha). */
  rho: number;
  epsilon: number;
  /** μ; 0 for none (then there is no velocity). */
  momentum: number;
  /** Divide by the running variance (s − ḡ²) rather than the mean square s. */
  centered: boolean;
}

/** RMSProp's state of one parameter: `meanGradient` only when centered, `velocity` only
 * with momentum. */
export interface RMSPropSlots {
  meanSquare: Tensor;
  meanGradient: Tensor | null;
  velocity: Tensor | null;
}

/** Updates `param` (and `velocity`, when momentum is used) in place; returns `param`. */
export const sgdUpdateKernel: Kernel<(param: Tensor, grad: Tensor, velocity: Tensor | null, h: SGDUpdateHyperparameters) => Tensor> = {
  name: 'sgdUpdate',
  wasm: sgdUpdateWasm,
  cpu(param, grad, velocity, h) {
    const p = cpuData(param) as Float32Array;
    const g = cpuData(grad) as Float32Array;
    const b = velocity ? (cpuData(velocity) as Float32Array) : null;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]! + h.weightDecay * p[i]!;
      let step = gi;
      if (b) {
        b[i] = h.momentum * b[i]! + gi;
        step = h.nesterov ? gi + h.momentum * b[i]! : b[i]!;
      }
      p[i] = p[i]! - h.learningRate * step;
    }
    return param;
  },
  webgpu(param, grad, velocity, h) {
    const device = gpuDevice(param);
    const launch = updateLaunch(param.size);
    device.dispatch({
      key: `sgdUpdate/${velocity ? 'momentum' : 'plain'}${launch.variant}`,
      wgsl: () => sgdWgsl(velocity !== null, launch.vectorized),
      inputs: [grad.storage],
      outputs: velocity ? [param.storage, velocity.storage] : [param.storage],
      uniforms: [u32(launch.size), f32(h.learningRate), f32(h.momentum), f32(h.weightDecay), u32(h.nesterov ? 1 : 0)],
      workgroups: launch.workgroups,
    });
    return param;
  },
};

/** Updates `param`, `m` and `v` in place; returns `param`. */
export const adamUpdateKernel: Kernel<(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamUpdateHyperparameters) => Tensor> = {
  name: 'adamUpdate',
  wasm: adamUpdateWasm,
  cpu(param, grad, m, v, h) {
    const p = cpuData(param) as Float32Array;
    const g = cpuData(grad) as Float32Array;
    const M = cpuData(m) as Float32Array;
    const V = cpuData(v) as Float32Array;
    const [c1, c2] = biasCorrections(h);
    for (let i = 0; i < p.length; i++) {
      let pi = p[i]!;
      let gi = g[i]!;
      if (h.decoupled) pi -= h.learningRate * h.weightDecay * pi;
      else gi += h.weightDecay * pi;
      M[i] = h.beta1 * M[i]! + (1 - h.beta1) * gi;
      V[i] = h.beta2 * V[i]! + (1 - h.beta2) * gi * gi;
      p[i] = pi - h.learningRate * (M[i]! / c1 / (Math.sqrt(V[i]! / c2) + h.epsilon));
    }
    return param;
  },
  webgpu(param, grad, m, v, h) {
    const device = gpuDevice(param);
    const [c1, c2] = biasCorrections(h);
    const launch = updateLaunch(param.size);
    device.dispatch({
      key: `adamUpdate${launch.variant}`,
      wgsl: () => adamWgsl(launch.vectorized),
      inputs: [grad.storage],
      outputs: [param.storage, m.storage, v.storage],
      // 1 − β and η·λ are computed here in float64, as the composite rule's scalar operands
      // are: 1 − f32(0.999) in f32 is 1.0000467e-3, which moved √v by 2e-5 relative
      uniforms: [
        u32(launch.size),
        f32(h.learningRate),
        f32(h.beta1),
        f32(h.beta2),
        f32(1 - h.beta1),
        f32(1 - h.beta2),
        f32(h.epsilon),
        f32(h.weightDecay),
        f32(h.learningRate * h.weightDecay),
        u32(h.decoupled ? 1 : 0),
        f32(c1),
        f32(c2),
      ],
      workgroups: launch.workgroups,
    });
    return param;
  },
};

/** Updates `param` and its RMSProp slots in place; returns `param`. */
export const rmspropUpdateKernel: Kernel<(param: Tensor, grad: Tensor, slots: RMSPropSlots, h: RMSPropUpdateHyperparameters) => Tensor> = {
  name: 'rmspropUpdate',
  cpu(param, grad, slots, h) {
    const p = cpuData(param) as Float32Array;
    const g = cpuData(grad) as Float32Array;
    const s = cpuData(slots.meanSquare) as Float32Array;
    const gBar = slots.meanGradient ? (cpuData(slots.meanGradient) as Float32Array) : null;
    const b = slots.velocity ? (cpuData(slots.velocity) as Float32Array) : null;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      s[i] = h.rho * s[i]! + (1 - h.rho) * gi * gi;
      let variance = s[i]!;
      if (gBar) {
        gBar[i] = h.rho * gBar[i]! + (1 - h.rho) * gi;
        variance -= gBar[i]! * gBar[i]!;
      }
      const ratio = gi / (Math.sqrt(variance) + h.epsilon);
      if (b) {
        b[i] = h.momentum * b[i]! + ratio;
        p[i] = p[i]! - h.learningRate * b[i]!;
      } else {
        p[i] = p[i]! - h.learningRate * ratio;
      }
    }
    return param;
  },
  webgpu(param, grad, slots, h) {
    const device = gpuDevice(param);
    const centered = slots.meanGradient !== null;
    const momentum = slots.velocity !== null;
    const launch = updateLaunch(param.size);
    device.dispatch({
      key: `rmspropUpdate/${centered ? 'centered' : 'plain'}/${momentum ? 'momentum' : 'none'}${launch.variant}`,
      wgsl: () => rmspropWgsl(centered, momentum, launch.vectorized),
      inputs: [grad.storage],
      outputs: [param.storage, slots.meanSquare.storage, ...(slots.meanGradient ? [slots.meanGradient.storage] : []), ...(slots.velocity ? [slots.velocity.storage] : [])],
      // 1 − ρ in float64, as the composite rule's scalar operand is
      uniforms: [u32(launch.size), f32(h.learningRate), f32(h.rho), f32(1 - h.rho), f32(h.epsilon), f32(h.momentum)],
      workgroups: launch.workgroups,
    });
    return param;
  },
};

/** 1 − β₁ᵗ and 1 − β₂ᵗ, computed in float64 on the CPU (β₂ᵗ is 0.999ᵗ: close to 1 early on). */
export function biasCorrections(h: AdamUpdateHyperparameters): [number, number] {
  return [1 - h.beta1 ** h.step, 1 - h.beta2 ** h.step];
}

// One invocation updates one parameter element and its momentum buffer element (vectorized:
// several vec4s of them).
function sgdWgsl(momentum: boolean, vectorized: boolean): string {
  const T = vectorized ? 'vec4<f32>' : 'f32';
  return /* wgsl */ `
struct Uniforms { size: u32, learningRate: f32, momentum: f32, weightDecay: f32, nesterov: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> grad: array<${T}>;
@group(0) @binding(2) var<storage, read_write> param: array<${T}>;
${momentum ? `@group(0) @binding(3) var<storage, read_write> velocity: array<${T}>;` : ''}
${updateMain(
  vectorized,
  `let p = param[index];
  let g = grad[index] + u.weightDecay * p;
  ${
    momentum
      ? `let b = u.momentum * velocity[index] + g;
  velocity[index] = b;
  let step = select(b, g + u.momentum * b, u.nesterov != 0u);`
      : 'let step = g;'
  }
  param[index] = p - u.learningRate * step;`,
)}`;
}

// One invocation updates one parameter element and its two moment elements (vectorized:
// several vec4s of them).
function adamWgsl(vectorized: boolean): string {
  const T = vectorized ? 'vec4<f32>' : 'f32';
  return /* wgsl */ `
struct Uniforms { size: u32, learningRate: f32, beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32,
  epsilon: f32, weightDecay: f32, decayRate: f32, decoupled: u32, correction1: f32, correction2: f32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> grad: array<${T}>;
@group(0) @binding(2) var<storage, read_write> param: array<${T}>;
@group(0) @binding(3) var<storage, read_write> m: array<${T}>;
@group(0) @binding(4) var<storage, read_write> v: array<${T}>;
${updateMain(
  vectorized,
  `var p = param[index];
  var g = grad[index];
  if (u.decoupled != 0u) { p -= u.decayRate * p; } else { g += u.weightDecay * p; }
  let m1 = u.beta1 * m[index] + u.oneMinusBeta1 * g;
  let v1 = u.beta2 * v[index] + u.oneMinusBeta2 * (g * g);
  m[index] = m1;
  v[index] = v1;
  param[index] = p - u.learningRate * (m1 / u.correction1 / (sqrt(v1 / u.correction2) + u.epsilon));`,
)}`;
}

// One invocation updates one parameter element and its RMSProp state elements (vectorized:
// several vec4s of them).
function rmspropWgsl(centered: boolean, momentum: boolean, vectorized: boolean): string {
  const T = vectorized ? 'vec4<f32>' : 'f32';
  let binding = 4;
  return /* wgsl */ `
struct Uniforms { size: u32, learningRate: f32, rho: f32, oneMinusRho: f32, epsilon: f32, momentum: f32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> grad: array<${T}>;
@group(0) @binding(2) var<storage, read_write> param: array<${T}>;
@group(0) @binding(3) var<storage, read_write> meanSquare: array<${T}>;
${centered ? `@group(0) @binding(${binding++}) var<storage, read_write> meanGradient: array<${T}>;` : ''}
${momentum ? `@group(0) @binding(${binding++}) var<storage, read_write> velocity: array<${T}>;` : ''}
${updateMain(
  vectorized,
  `let g = grad[index];
  let s = u.rho * meanSquare[index] + u.oneMinusRho * (g * g);
  meanSquare[index] = s;
  ${
    centered
      ? `let gBar = u.rho * meanGradient[index] + u.oneMinusRho * g;
  meanGradient[index] = gBar;
  let ratio = g / (sqrt(s - gBar * gBar) + u.epsilon);`
      : 'let ratio = g / (sqrt(s) + u.epsilon);'
  }
  ${
    momentum
      ? `let b = u.momentum * velocity[index] + ratio;
  velocity[index] = b;
  param[index] = param[index] - u.learningRate * b;`
      : 'param[index] = param[index] - u.learningRate * ratio;'
  }`,
)}`;
}
