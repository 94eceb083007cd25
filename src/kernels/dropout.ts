// Dropout masks from a counter-based generator, drawn where the tensor lives. Element i's
// random word is the first word of Threefry-2x32 (20 rounds; Salmon et al., "Parallel random
// numbers: as easy as 1, 2, 3", SC 2011, the generator behind JAX's keys) of the counter
// (i, 0) under the key (seed, 0): a pure function of seed and position. So a GPU invocation
// makes its element's word with no state shared with the others, the CPU makes the very
// same words, nothing is uploaded, and the backward pass recomputes the mask instead of
// keeping it. The generator is written once in TypeScript and once in WGSL, side by side:
// 32-bit adds, rotations and xors, exact on both devices.
//
// Element i is kept when (word >> 8) ≥ threshold, threshold = round(rate · 2²⁴): an integer
// comparison, so both devices decide alike. y[i] = x[i] · (kept ? scale : 0) with
// scale = float32(1 / (1 − rate)): a dropped NaN stays NaN, as in x · mask · scale.

import type { Tensor } from '../tensor.js';
import { u32, f32 } from '../device/uniforms.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';
import { ELEMENTWISE_MAIN, elementWorkgroups, gpuDevice, gpuOutput } from './wgsl.js';

/** Threefry-2x32's rotation distances, round r uses ROTATIONS[r % 8]. */
const ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24];
/** Threefry's key-schedule parity constant. */
const PARITY = 0x1bd11bda;

/** Threefry-2x32 with 20 rounds: the two 32-bit words of counter (c0, c1) under key (k0, k1).
 * Five blocks of four rounds (add, rotate, xor), the key injected after each block. */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number): [number, number] {
  const ks = [k0 >>> 0, k1 >>> 0, (PARITY ^ k0 ^ k1) >>> 0];
  let x0 = (c0 + ks[0]!) >>> 0;
  let x1 = (c1 + ks[1]!) >>> 0;
  for (let block = 0; block < 5; block++) {
    for (let r = 0; r < 4; r++) {
      const rotation = ROTATIONS[(block % 2) * 4 + r]!;
      x0 = (x0 + x1) >>> 0;
      x1 = ((x1 << rotation) | (x1 >>> (32 - rotation))) >>> 0;
      x1 = (x1 ^ x0) >>> 0;
    }
    x0 = (x0 + ks[(block + 1) % 3]!) >>> 0;
    x1 = (x1 + ks[(block + 2) % 3]! + block + 1) >>> 0;
  }
  return [x0, x1];
}

const WGSL_THREEFRY = /* wgsl */ `
fn rotateLeft(x: u32, r: u32) -> u32 { return (x << r) | (x >> (32u - r)); }
// Threefry-2x32, 20 rounds (as threefry2x32 in src/kernels/dropout.ts); u32 arithmetic wraps.
fn threefry2x32(key: vec2u, counter: vec2u) -> vec2u {
  var rotations = array<u32, 8>(${ROTATIONS.map((r) => `${r}u`).join(', ')});
  var ks = array<u32, 3>(key.x, key.y, ${PARITY}u ^ key.x ^ key.y);
  var x = counter + key;
  for (var block = 0u; block < 5u; block++) {
    for (var r = 0u; r < 4u; r++) {
      x.x += x.y;
      x.y = rotateLeft(x.y, rotations[(block % 2u) * 4u + r]);
      x.y ^= x.x;
    }
    x.x += ks[(block + 1u) % 3u];
    x.y += ks[(block + 2u) % 3u] + block + 1u;
  }
  return x;
}`;

// One invocation computes one element: its random word, the keep decision, the product.
const DROPOUT_WGSL = /* wgsl */ `
${WGSL_THREEFRY}
struct Uniforms { size: u32, seed: u32, threshold: u32, scale: f32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read_write> ys: array<f32>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  let word = threefry2x32(vec2u(u.seed, 0u), vec2u(index, 0u)).x;
  ys[index] = xs[index] * select(0.0, u.scale, (word >> 8u) >= u.threshold);
}`;

/** y[i] = x[i] · scale where element i is kept under `seed`, else x[i] · 0 (see above). */
export const dropoutKernel: Kernel<(x: Tensor, seed: number, threshold: number, scale: number) => Tensor> = {
  name: 'dropout',
  cpu(x, seed, threshold, scale) {
    const input = cpuData(x);
    const out = new Float32Array(input.length);
    for (let i = 0; i < input.length; i++) {
      const word = threefry2x32(seed, 0, i, 0)[0];
      out[i] = input[i]! * (word >>> 8 >= threshold ? scale : 0);
    }
    return cpuTensor(out, x.shape);
  },
  webgpu(x, seed, threshold, scale) {
    const device = gpuDevice(x);
    const y = gpuOutput(device, x.shape, 'float32');
    device.dispatch({
      key: 'dropout',
      wgsl: DROPOUT_WGSL,
      inputs: [x.storage],
      outputs: [y.storage],
      uniforms: [u32(x.size), u32(seed), u32(threshold), f32(scale)],
      workgroups: elementWorkgroups(x.size),
    });
    return y;
  },
};
