// What every WGSL kernel launcher shares: the workgroup size of one-element-per-invocation
// kernels, the entry points (one element, or several vec4s, per invocation) whose linear
// index survives grid folding, the shape/stride index math, making the output tensor of a
// kernel, and telling a software (CPU) adapter from a GPU for tuning constants. The kernels themselves live beside their
// CPU references (elementwise.ts, reduce.ts, movement.ts, …).

import type { DType } from '../dtype.js';
import type { AdapterInfo, WebGpuDevice, WebGpuStorage } from '../device/webgpu.js';
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

/** vec4s one invocation of a vectorized elementwise kernel handles (16 floats). On a
 * software adapter a vec4 moves four elements for the price of one scalar load, and a few
 * per invocation amortize the loop; more leave too few workgroups for the CPU threads. On a
 * GPU, 256 invocations × 4 vec4s is a 16 KiB block per workgroup read in four coalesced
 * sweeps (invocation k reads vec4 k, k+256, …), and 4M floats still make 1024 workgroups.
 * Measurements: bench/kernel-tuning.md. */
export const VECTORS_PER_INVOCATION = 4;

/** Whether a kernel over `size` elements can read and write them as vec4s: the buffers are
 * then whole vec4s (a tail of 1–3 elements would be cut off by the array<vec4> binding, and
 * an empty tensor's 4-byte binding is below one vec4). */
export function isVectorizable(size: number): boolean {
  return size > 0 && size % 4 === 0;
}

/** The entry point of a vectorized elementwise kernel: `body` runs once per vec4 index
 * `index` (first + k·WORKGROUP_SIZE, k < VECTORS_PER_INVOCATION), below `u.size` vec4s. It
 * reads local_invocation_id.x, not local_invocation_index, which ran slower on lavapipe. */
export function vectorizedMain(body: string): string {
  return /* wgsl */ `
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first = (wid.x + wid.y * groups.x) * ${WORKGROUP_SIZE * VECTORS_PER_INVOCATION}u + lid.x;
  for (var k = 0u; k < ${VECTORS_PER_INVOCATION}u; k++) {
    let index = first + k * ${WORKGROUP_SIZE}u;
    if (index >= u.size) { break; }
    ${body.trim()}
  }
}`;
}

/** Workgroups of a vectorized elementwise kernel over `size` elements (size divisible by 4). */
export function vectorizedWorkgroups(size: number): number {
  return Math.ceil(size / 4 / (WORKGROUP_SIZE * VECTORS_PER_INVOCATION));
}

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

/** The WebGPU device a tensor lives on: the one way a kernel reaches its device (kernels are
 * only called with their own device's tensors). */
export function gpuDevice(t: Tensor): WebGpuDevice {
  return t.device as WebGpuDevice;
}

/** A tensor with uninitialized storage, for a kernel that writes all of it. */
export function gpuOutput(device: WebGpuDevice, shape: Shape, dtype: DType): Tensor {
  return new Tensor([...shape], dtype, device, device.empty(dtype, sizeOf(shape)));
}

/** The size of one scratch buffer a kernel needs between its passes. */
export interface ScratchBuffer {
  dtype: DType;
  size: number;
}

/** The one way kernels use temporary GPU memory: `body` records its dispatches with fresh
 * buffers of the given sizes, which go back to the device's pool when it returns (or
 * throws), so none can leak. Releasing right after recording is safe: the pool hands a
 * buffer out again only after the batch that uses it has been submitted. */
export function withScratch<T>(device: WebGpuDevice, buffers: readonly ScratchBuffer[], body: (...scratch: WebGpuStorage[]) => T): T {
  const scratch = buffers.map(({ dtype, size }) => device.empty(dtype, size));
  try {
    return body(...scratch);
  } finally {
    for (const storage of scratch) device.release(storage);
  }
}

/** Workgroups for one invocation per element. */
export function elementWorkgroups(size: number): number {
  return Math.ceil(size / WORKGROUP_SIZE);
}

/** Mesa's lavapipe/llvmpipe, Google's SwiftShader and Microsoft's WARP run compute shaders on
 * CPU threads (a workgroup is a loop on one thread, a barrier a coroutine switch per group
 * of SIMD lanes); Dawn reports them with architecture `software` or names them. Kernels
 * use it to pick tuning constants, never to change results. */
export function isSoftwareAdapter(info: AdapterInfo): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return info.architecture === 'software' || /llvmpipe|lavapipe|swiftshader|warp|software/.test(text);
}

/** The bits of a number stored as dtype, for kernels that move 32-bit words whatever they hold. */
export function bitsOf(value: number, dtype: DType): number {
  const words = new Uint32Array(1);
  (dtype === 'int32' ? new Int32Array(words.buffer) : new Float32Array(words.buffer))[0] = value;
  return words[0]!;
}
