// The WebGPU device: Dawn's Node bindings (the `webgpu` npm package) behind the narrow
// Device interface, plus `dispatch`, the one call every WGSL kernel launcher makes.
//
// Execution model. Ops only record: each `dispatch` appends to one shared command encoder
// (inside one open compute pass), and the batch is submitted every SUBMIT_EVERY dispatches
// or when a `read` needs results. Uniforms of a batch go into one CPU-side ring and reach
// the GPU with a single `writeBuffer` just before the submit. Buffers come from a pool by
// size class (buffer-pool.ts); pipelines from a cache by kernel variant (pipeline-cache.ts);
// bind groups from a cache by the buffers they bind (bind-groups.ts), each dispatch's uniforms
// bound as a window at their offset in the ring (the offset is part of the cache key).
//
// Errors. Validation errors arrive asynchronously (error scopes, `uncapturederror`), and
// device loss through `device.lost`. Any of them puts the device in a failed state: pending
// and later reads reject with a TensorLoopError saying what happened, later ops throw. Results
// computed in a failed batch are never handed out as if they were right. Errors a kernel
// finds in its data (a bad index) are deferred to the next read (deferred-errors.ts).

import type { DType, TypedArray } from '../dtype.js';
import { TensorLoopError } from '../errors.js';
import { afterEventLoopTurn } from '../platform.js';
import { BindGroupCache, type BufferRange } from './bind-groups.js';
import { BufferPool, type PoolStats } from './buffer-pool.js';
import { DeferredErrors, STATUS_BYTES, type StatusSlot } from './deferred-errors.js';
import type { Device, DeviceMemory, Storage } from './device.js';
import { BROWSER_HINT, gpuInstance } from './gpu-instance.js';
import { PipelineCache } from './pipeline-cache.js';
import { profiler } from './profiler.js';
import { quietly } from './quiet-wait.js';
import { type Uniform, align, packUniforms, uniformsByteLength } from './uniforms.js';
import { GpuTimestamps } from './webgpu-timestamps.js';
import { checkOptions } from '../options.js';

/** Dispatches recorded before a submit (tfjs uses 15; more amortizes submit cost). */
const SUBMIT_EVERY = 32;
/** Bind groups a process may create between two turns of Node's event loop. Within a turn
 * Dawn frees no bind group, and on Mesa's lavapipe every live one holds a memory mapping;
 * a process may hold at most 65,530 (Linux's vm.max_map_count), past which the driver
 * crashes (SIGSEGV). Repeated dispatches reuse cached bind groups (bind-groups.ts) and count
 * nothing; past this many new ones in one turn a dispatch throws a TensorLoopError instead,
 * leaving room for the mappings every other kernel variant keeps. */
const MAX_NEW_BIND_GROUPS_PER_TURN = 16_384;
/** Bytes of uniforms one batch can hold; a batch that fills it is submitted early. */
const UNIFORM_RING_BYTES = 64 * 1024;

/** Limits asked for by name, at the adapter's values (unnamed limits get WebGPU defaults). */
const REQUESTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBuffersPerShaderStage',
] as const;

/** Features used when the adapter has them (kernels must check `device.features`). */
const OPTIONAL_FEATURES: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'];

export const INSTALL_HINT =
  'On Linux without a GPU, install a software Vulkan driver, Mesa >= 23 lavapipe: on Debian 12 add ' +
  '`deb http://deb.debian.org/debian bookworm-backports main` to the apt sources and run ' +
  '`apt-get install -t bookworm-backports mesa-vulkan-drivers` (Mesa 22.3 from bookworm main lacks a feature Dawn ' +
  'requires); with a GPU, install its Vulkan driver. Set XDG_RUNTIME_DIR (e.g. /tmp) if it is unset.';

export { registerStatusCode } from './deferred-errors.js';

/** A GPU buffer holding one tensor's elements (the buffer may be larger: its size class). */
export class WebGpuStorage implements Storage {
  refCount = 1;
  /** The deferred-error slots this storage's contents depend on (deferred-errors.ts). */
  taint: readonly StatusSlot[] | undefined;
  constructor(
    readonly buffer: GPUBuffer,
    readonly byteLength: number,
  ) {}
}

export interface DispatchOptions {
  /** The kernel variant: everything that changes the WGSL, nothing that is only a size. */
  key: string;
  /** The WGSL source with `fn main` (a function: only called on a pipeline-cache miss). */
  wgsl: string | (() => string);
  /** Read-only storage bindings, right after the uniforms (binding 0) when there are any. */
  inputs?: readonly Storage[];
  /** Read-write storage bindings, after the inputs. */
  outputs: readonly Storage[];
  /** The `var<uniform>` struct at binding 0, fields in struct order (see uniforms.ts). */
  uniforms?: readonly Uniform[];
  /** A workgroup count (folded into 2-D past the per-dimension limit: the shader computes
   * its linear index from `num_workgroups`) or an explicit [x, y, z] grid. */
  workgroups: number | readonly [number, number, number];
  /** Binds status words of this dispatch's own (array<atomic<u32>, 4>) after the outputs:
   * a status the kernel raises there is thrown by the next read (deferred-errors.ts). */
  status?: boolean;
}

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Lanes per subgroup, when the adapter says (kernels that exchange values between lanes
   * with subgroup operations are written for one size). */
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

export interface WebGpuOptions {
  /** Dawn toggles passed to `create()`, e.g. ['adapter=llvmpipe'] or ['backend=vulkan']. */
  dawnFlags?: string[];
}

/** Requests an adapter and a device; throws TensorLoopError saying why and what to install. */
export async function requestWebGpuDevice(options: WebGpuOptions = {}): Promise<WebGpuDevice> {
  checkOptions('Device.webgpu', options, ['dawnFlags']);
  const { gpu, constants, source } = await gpuInstance(options.dawnFlags);
  const hint = source === 'dawn' ? INSTALL_HINT : BROWSER_HINT;
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (error) {
    throw new TensorLoopError(`webgpu: requestAdapter failed: ${(error as Error).message}. ${hint}`);
  }
  if (!adapter) throw new TensorLoopError(`webgpu: no adapter found (${source === 'dawn' ? 'no Vulkan driver, or one too old for Dawn' : 'WebGPU is off or blocked in this browser'}). ${hint}`);
  const requiredLimits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'tensorloop' });
  } catch (error) {
    throw new TensorLoopError(`webgpu: requestDevice failed: ${(error as Error).message}. ${hint}`);
  }
  const info = adapter.info;
  const adapterInfo: AdapterInfo = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description };
  const subgroups = info as { subgroupMinSize?: number; subgroupMaxSize?: number };
  if (subgroups.subgroupMinSize && subgroups.subgroupMaxSize) Object.assign(adapterInfo, { subgroupMinSize: subgroups.subgroupMinSize, subgroupMaxSize: subgroups.subgroupMaxSize });
  return new WebGpuDevice(device, adapterInfo, constants, { gpu, adapter });
}

export class WebGpuDevice implements Device {
  readonly kind = 'webgpu' as const;
  readonly name: string;
  readonly limits: GPUSupportedLimits;
  readonly features: ReadonlySet<string>;
  /** Counters for tests and benchmarks: dispatches recorded, batches submitted, uploads. */
  readonly counters = { dispatches: 0, submits: 0, uploads: 0 };

  private gpu: GPUDevice | null;
  /** The GPU instance and adapter must outlive the device: if GC collects them, Dawn frees
   * its instance under the live device (heap corruption, random aborts in later calls). */
  private owners: { gpu: GPU; adapter: GPUAdapter } | null;
  private readonly pool: BufferPool;
  private readonly stagingPool: BufferPool;
  private readonly pipelines: PipelineCache;
  private readonly bindGroups: BindGroupCache;
  private readonly uniformBuffer: GPUBuffer;
  private readonly uniformRing = new ArrayBuffer(UNIFORM_RING_BYTES);
  private readonly uniformView = new DataView(this.uniformRing);
  private readonly uniformAlign: number;
  private readonly deferred: DeferredErrors;
  private readonly usage: { GPUBufferUsage: typeof GPUBufferUsage; GPUMapMode: typeof GPUMapMode };
  /** GPU time per dispatch while the profiler is on (profiler.ts), when the adapter can. */
  private readonly timestamps: GpuTimestamps | null;

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatchesInBatch = 0;
  private uniformUsed = 0;
  private live = { buffers: 0, bytes: 0 };
  private failure: TensorLoopError | null = null;
  private rejectPending: (error: TensorLoopError) => void = () => {};
  private readonly failed: Promise<never>;
  private disposed = false;

  constructor(
    device: GPUDevice,
    readonly adapterInfo: AdapterInfo,
    globals: { GPUBufferUsage: typeof GPUBufferUsage; GPUMapMode: typeof GPUMapMode; GPUShaderStage: typeof GPUShaderStage },
    owners: { gpu: GPU; adapter: GPUAdapter },
  ) {
    this.gpu = device;
    this.owners = owners;
    this.usage = globals;
    this.name = `webgpu (${adapterInfo.description.split(':')[0] || adapterInfo.device || [adapterInfo.vendor, adapterInfo.architecture].filter(Boolean).join(' ') || 'unknown adapter'})`;
    this.limits = device.limits;
    this.features = new Set(device.features);
    this.failed = new Promise<never>((_, reject) => (this.rejectPending = reject));
    this.failed.catch(() => {}); // observed by reads through Promise.race
    const { GPUBufferUsage: U, GPUMapMode: _M, GPUShaderStage: S } = globals;
    this.bindGroups = new BindGroupCache(device);
    this.pool = new BufferPool(device, U.STORAGE | U.COPY_SRC | U.COPY_DST, 'tensor', (buffer) => this.bindGroups.forget(buffer));
    this.stagingPool = new BufferPool(device, U.MAP_READ | U.COPY_DST, 'staging');
    this.pipelines = new PipelineCache(device, (message) => this.fail(message), S.COMPUTE);
    this.uniformAlign = Math.max(16, device.limits.minUniformBufferOffsetAlignment);
    this.uniformBuffer = device.createBuffer({ size: UNIFORM_RING_BYTES, usage: U.UNIFORM | U.COPY_DST, label: 'uniform ring' });
    this.deferred = new DeferredErrors(device, U.STORAGE | U.COPY_SRC | U.COPY_DST, Math.max(STATUS_BYTES, device.limits.minStorageBufferOffsetAlignment));
    this.timestamps = this.features.has('timestamp-query') ? new GpuTimestamps(device, globals) : null;
    device.addEventListener('uncapturederror', (event) => {
      this.fail(`${(event as GPUUncapturedErrorEvent).error.message}`);
    });
    void device.lost.then((info) => {
      if (!this.disposed) this.fail(`device lost (${info.reason}): ${info.message}`);
    });
  }

  // ---------------------------------------------------------------- Device interface

  upload(data: TypedArray): WebGpuStorage {
    const storage = this.newStorage(data.byteLength, 'upload');
    this.counters.uploads += 1;
    // Dawn's writeBuffer takes no SharedArrayBuffer (CPU tensors live in one: src/device/wasm/heap.ts)
    const source = data.buffer instanceof ArrayBuffer ? data : data.slice();
    if (data.byteLength > 0) this.device.queue.writeBuffer(storage.buffer, 0, source.buffer, source.byteOffset, source.byteLength);
    return storage;
  }

  /** Zero-filled storage (a clear command recorded in the current batch). */
  allocate(dtype: DType, size: number): WebGpuStorage {
    const storage = this.empty(dtype, size);
    if (storage.byteLength > 0) {
      this.endPass();
      this.commandEncoder().clearBuffer(storage.buffer, 0, align(storage.byteLength, 4));
    }
    return storage;
  }

  /** Storage with undefined contents, for kernel outputs that write every element. */
  empty(_dtype: DType, size: number): WebGpuStorage {
    return this.newStorage(size * 4, 'allocate');
  }

  /** Reads the storage back; first throws the deferred errors of ops recorded since the last
   * check (all of them), or the error of a bad op this storage was computed from. */
  async read(storage: Storage, dtype: DType, size: number): Promise<TypedArray> {
    this.assertUsable('read');
    const source = storage as WebGpuStorage;
    this.deferred.throwIfPoisoned(source);
    const bytes = size * 4;
    const copy = await this.readWithStatus(bytes > 0 ? source.buffer : null, bytes);
    await this.deferred.settled(); // a check still running for another read may concern this storage
    this.deferred.throwIfPoisoned(source);
    return dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy); // no second copy
  }

  /** Throws the deferred errors of the ops recorded so far (a gather index out of range, a
   * bad class label), or of those `storages` were computed from; resolves at once, without
   * waiting for the GPU, when no op that can raise one ran since the last check. */
  async checkDeferredErrors(storages: readonly Storage[] = []): Promise<void> {
    this.assertUsable('checkDeferredErrors');
    for (const s of storages) this.deferred.throwIfPoisoned(s);
    if (this.deferred.pendingBytes > 0) await this.readWithStatus(null, 0);
    await this.deferred.settled();
    for (const s of storages) this.deferred.throwIfPoisoned(s);
  }

  release(storage: Storage): void {
    const s = storage as WebGpuStorage;
    this.live.buffers -= 1;
    this.live.bytes -= s.byteLength;
    if (!this.disposed) this.pool.release(s.buffer, this.encoder === null);
  }

  /** Live tensor buffers and their bytes (pooled free buffers are in `poolStats()`). */
  memory(): DeviceMemory {
    return { ...this.live };
  }

  poolStats(): PoolStats & { pipelines: number; bindGroups: number } {
    return { ...this.pool.stats(), pipelines: this.pipelines.size, bindGroups: this.bindGroups.size };
  }

  /** Bind groups created and reused from the cache (bind-groups.ts), for tests and benchmarks. */
  get bindGroupCounters(): { created: number; reused: number } {
    return { ...this.bindGroups.counters };
  }

  /** Destroys every buffer and the device, so the Node process can exit. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.fail('the device was disposed');
    this.pass = null;
    this.encoder = null;
    this.pool.destroy();
    this.stagingPool.destroy();
    this.uniformBuffer.destroy();
    this.deferred.destroy();
    this.timestamps?.destroy();
    this.pipelines.clear();
    this.bindGroups.clear();
    this.gpu?.destroy();
    this.gpu = null;
    this.owners = null;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** True once the device is lost, disposed, or failed (a validation error): every later op
   * throws, and `Device.default()` makes a new device instead of returning this one. */
  get hasFailed(): boolean {
    return this.failure !== null;
  }

  toString(): string {
    return this.name;
  }

  // ---------------------------------------------------------------- kernels

  /** Records one compute dispatch into the current batch (see DispatchOptions). */
  dispatch(options: DispatchOptions): void {
    this.assertUsable(options.key);
    const inputs = options.inputs ?? [];
    const uniforms = options.uniforms ?? [];
    const grid = this.grid(options.key, options.workgroups);
    if (grid[0] * grid[1] * grid[2] === 0) return;
    const status = options.status ? this.deferred.take(options.key.split('/')[0]!) : undefined;
    const taint = this.deferred.taintOf([...inputs, ...options.outputs], status?.slot);
    for (const s of options.outputs) (s as WebGpuStorage).taint = taint;
    const { pipeline, bindGroupLayout, layoutId } = this.pipelines.get(options.key, options.wgsl, {
      uniforms: uniforms.length > 0,
      inputs: inputs.length,
      outputs: options.outputs.length,
      status: options.status === true,
    });
    const ranges: BufferRange[] = [];
    if (uniforms.length > 0) ranges.push({ buffer: this.uniformBuffer, offset: this.writeUniforms(uniforms), size: uniformsByteLength(uniforms) });
    for (const s of inputs) ranges.push(bufferRange(s));
    for (const s of options.outputs) ranges.push(bufferRange(s));
    if (status) ranges.push(status.binding as BufferRange);
    const bindGroup = this.bindGroups.get(bindGroupLayout, layoutId, ranges, options.key, () => this.countNewBindGroup(options.key));
    const timestampWrites = profiler.enabled ? this.timestamps?.next(options.key) : undefined;
    if (timestampWrites) this.endPass(); // a timed dispatch gets a pass of its own
    const pass = timestampWrites ? this.commandEncoder().beginComputePass({ timestampWrites }) : this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    if (timestampWrites) pass.end();
    this.counters.dispatches += 1;
    this.dispatchesInBatch += 1;
    if (this.dispatchesInBatch >= SUBMIT_EVERY) void this.flush();
  }

  /** Submits recorded work and waits until the GPU finished it (for benchmarks). */
  async synchronize(): Promise<void> {
    this.assertUsable('synchronize');
    const submitted = this.flush();
    await this.whileGpuWorks(Promise.all([this.device.queue.onSubmittedWorkDone(), submitted, this.timestamps?.settled()]));
    if (this.failure) throw this.failure;
  }

  /** The Dawn device, for code that needs raw WebGPU (benchmarks, timestamp queries). */
  get device(): GPUDevice {
    if (!this.gpu) throw this.failure ?? new TensorLoopError('webgpu: the device was disposed');
    return this.gpu;
  }

  /** The per-dimension workgroup limit grids are folded at. */
  get maxWorkgroupsPerDimension(): number {
    return this.limits.maxComputeWorkgroupsPerDimension;
  }

  // ---------------------------------------------------------------- internals

  private newBindGroupsThisTurn = 0;
  private turnWatch = false;

  /** Counts bind groups created until the event loop next turns (MAX_NEW_BIND_GROUPS_PER_TURN). */
  private countNewBindGroup(key: string): void {
    if (!this.turnWatch) {
      this.turnWatch = true;
      afterEventLoopTurn(() => {
        this.turnWatch = false;
        this.newBindGroupsThisTurn = 0;
      });
    }
    if (++this.newBindGroupsThisTurn > MAX_NEW_BIND_GROUPS_PER_TURN) {
      throw new TensorLoopError(
        `${key}: ${MAX_NEW_BIND_GROUPS_PER_TURN} GPU dispatches over new buffers were recorded without Node's event loop ` +
          `turning; Dawn frees their bind groups only when it turns, and crashed here somewhere past 50,000. Await ` +
          `something now and then in long synchronous loops (a readback, or \`await new Promise(setImmediate)\` in Node); ` +
          `the TrainingLoop does this for you.`,
      );
    }
  }

  private newStorage(bytes: number, op: string): WebGpuStorage {
    this.assertUsable(op);
    const limit = this.limits.maxStorageBufferBindingSize;
    if (bytes > limit) {
      throw new TensorLoopError(
        `webgpu ${op}: a tensor of ${bytes / 4} elements (${bytes} bytes) is over this adapter's ` +
          `maxStorageBufferBindingSize of ${limit} bytes (${this.name}); split it or use the CPU`,
      );
    }
    const storage = new WebGpuStorage(this.pool.acquire(Math.max(bytes, 4)), bytes);
    this.live.buffers += 1;
    this.live.bytes += bytes;
    return storage;
  }

  private grid(key: string, workgroups: DispatchOptions['workgroups']): [number, number, number] {
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (typeof workgroups !== 'number') {
      if (workgroups.some((n) => n > max)) throw new TensorLoopError(`${key}: grid [${workgroups.join(',')}] passes ${max} workgroups per dimension`);
      return [workgroups[0], workgroups[1], workgroups[2]];
    }
    return foldGrid(key, workgroups, max);
  }

  /** Packs the uniforms into the batch's ring; returns their offset. */
  private writeUniforms(fields: readonly Uniform[]): number {
    const size = uniformsByteLength(fields);
    if (this.uniformUsed + size > UNIFORM_RING_BYTES) void this.flush();
    const offset = this.uniformUsed;
    packUniforms(fields, this.uniformView, offset);
    this.uniformUsed = align(offset + size, this.uniformAlign);
    this.commandEncoder(); // the ring belongs to the batch being recorded
    return offset;
  }

  private commandEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder({ label: 'tensorloop batch' });
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    this.pass ??= this.commandEncoder().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Submits the batch; the promise settles once its validation errors (if any) are known. */
  private flush(): Promise<void> {
    if (!this.encoder) return Promise.resolve();
    const device = this.device;
    this.endPass();
    if (this.uniformUsed > 0) device.queue.writeBuffer(this.uniformBuffer, 0, new Uint8Array(this.uniformRing, 0, this.uniformUsed));
    this.timestamps?.resolve(this.encoder);
    device.pushErrorScope('validation');
    device.queue.submit([this.encoder.finish()]);
    this.timestamps?.collect();
    const checked = device.popErrorScope().then(
      (error) => {
        if (error) this.fail(error.message);
      },
      () => {},
    );
    this.encoder = null;
    this.dispatchesInBatch = 0;
    this.uniformUsed = 0;
    this.counters.submits += 1;
    this.pool.recycle();
    this.stagingPool.recycle();
    return checked;
  }

  /** Awaits a GPU promise, rejecting at once if the device fails (a lost device never
   * resolves a pending map). */
  private whileGpuWorks<T>(promise: Promise<T>): Promise<T> {
    return quietly(Promise.race([promise, this.failed]));
  }

  /** Copies `bytes` of `source` and the pending status slots into a staging buffer, submits,
   * and returns the copied data once mapped, after resolving the slots (which throws the
   * deferred errors found). */
  private async readWithStatus(source: GPUBuffer | null, bytes: number): Promise<ArrayBuffer> {
    const statusBytes = this.deferred.pendingBytes;
    const staging = this.stagingPool.acquire(Math.max(4, bytes + statusBytes));
    this.endPass();
    const encoder = this.commandEncoder();
    if (source) encoder.copyBufferToBuffer(source, 0, staging, 0, bytes);
    const check = this.deferred.collect(encoder, staging, bytes);
    const submitted = this.flush();
    try {
      let copy: ArrayBuffer;
      let status: Uint32Array;
      try {
        await this.whileGpuWorks(Promise.all([staging.mapAsync(this.usage.GPUMapMode.READ), submitted]));
        if (this.failure) throw this.failure;
        const mapped = staging.getMappedRange();
        copy = mapped.slice(0, bytes); // the tensor's bytes exactly: read() wraps them without copying again
        status = new Uint32Array(mapped.slice(bytes, bytes + statusBytes));
        staging.unmap();
      } finally {
        if (!this.disposed) this.stagingPool.release(staging, this.encoder === null);
      }
      this.deferred.resolve(check.slots, status);
      return copy;
    } finally {
      check.done();
    }
  }

  private fail(message: string): void {
    if (this.failure) return;
    this.failure = new TensorLoopError(message === 'the device was disposed' ? `webgpu: ${message}` : `${this.name} failed: ${message}`);
    this.rejectPending(this.failure);
  }

  private assertUsable(op: string): void {
    if (this.failure) throw new TensorLoopError(`${op}: ${this.failure.message}`);
  }
}

/** The range a storage binding covers: the tensor's bytes, rounded up to whole words (an
 * empty tensor binds one word: a binding cannot be empty). */
function bufferRange(storage: Storage): BufferRange {
  const { buffer, byteLength } = storage as WebGpuStorage;
  return { buffer, offset: 0, size: Math.max(4, align(byteLength, 4)) };
}

/** Splits `count` workgroups into an [x, y, 1] grid with x, y ≤ max (x·y ≥ count, as few
 * extra as possible). Shaders recover the linear index as wid.x + wid.y · num_workgroups.x. */
export function foldGrid(key: string, count: number, max: number): [number, number, number] {
  if (count <= max) return [count, 1, 1];
  const y = Math.ceil(count / max);
  if (y > max) throw new TensorLoopError(`${key}: ${count} workgroups is more than one dispatch can hold (${max}×${max})`);
  return [Math.ceil(count / y), y, 1];
}
