// What every WGSL kernel launcher shares: the workgroup size of one-element-per-invocation
// kernels, the entry point whose linear index survives grid folding, the shape/stride index
// math, and making the output tensor of a kernel. The kernels themselves live beside their
// CPU references (elementwise.ts, reduce.ts, movement.ts, …).

import type { DType } from '../dtype.js';
import type { WebGpuDevice } from '../device/webgpu.js';
import { type Shape, Tensor, sizeOf } from '../tensor.js';

/** Invocations per workgroup for elementwise kernels: 256 is WebGPU's guaranteed
 * maxComputeInvocationsPerWorkgroup and a multiple of every GPU's SIMD width. */
export const WORKGROUP_SIZE = 256;

/** The entry point of a one-element-per-invocation kernel. `index` is the linear invocation
 * index even when the device folded a long grid into 2-D (see foldGrid in device/webgpu.ts). */
export const ELEMENTWISE_MAIN = /* wgsl */ `
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * ${WORKGROUP_SIZE}u;`;

/** Shape vectors arrive as array<vec4<u32>, 2> uniforms (see device/uniforms.ts). */
export const WGSL_DIMS = /* wgsl */ `
alias Dims = array<vec4<u32>, 2>;
fn dim(v: Dims, k: u32) -> u32 { return v[k / 4u][k % 4u]; }
// Where element i (row-major in shape) sits in a tensor read with these strides:
// transposes permute strides, broadcast axes have stride 0.
fn stridedOffset(i: u32, rank: u32, shape: Dims, strides: Dims) -> u32 {
  var rest = i;
  var offset = 0u;
  for (var k = i32(rank) - 1; k >= 0; k--) {
    let d = dim(shape, u32(k));
    offset += (rest % d) * dim(strides, u32(k));
    rest /= d;
  }
  return offset;
}`;

export function wgslType(dtype: DType): 'f32' | 'i32' {
  return dtype === 'int32' ? 'i32' : 'f32';
}

/** The WebGPU device a tensor lives on (kernels are only called with their own device's tensors). */
export function gpuDevice(t: Tensor): WebGpuDevice {
  return t.device as WebGpuDevice;
}

/** A tensor with uninitialized storage, for a kernel that writes all of it. */
export function gpuOutput(device: WebGpuDevice, shape: Shape, dtype: DType): Tensor {
  return new Tensor([...shape], dtype, device, device.empty(dtype, sizeOf(shape)));
}

/** Workgroups for one invocation per element. */
export function elementWorkgroups(size: number): number {
  return Math.ceil(size / WORKGROUP_SIZE);
}

/** The bits of a number stored as dtype, for kernels that move 32-bit words whatever they hold. */
export function bitsOf(value: number, dtype: DType): number {
  const words = new Uint32Array(1);
  (dtype === 'int32' ? new Int32Array(words.buffer) : new Float32Array(words.buffer))[0] = value;
  return words[0]!;
}
