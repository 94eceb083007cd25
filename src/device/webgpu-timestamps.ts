// GPU time per dispatch, for the profiler (profiler.ts), by timestamp queries: while
// profiling, each dispatch runs in its own compute pass whose beginning and end write a
// timestamp into a query set. When the batch is submitted the query set is resolved into
// a buffer and copied to a mappable one; once the GPU is done the durations (end − begin,
// in nanoseconds) are added to the profiler under each dispatch's family.

import { dispatchFamily, profiler } from './profiler.js';

/** Dispatches one batch can time; a batch past it runs its later dispatches untimed. */
const CAPACITY = 512;

interface Slots {
  querySet: GPUQuerySet;
  resolve: GPUBuffer;
  readback: GPUBuffer;
}

export class GpuTimestamps {
  private free: Slots[] = [];
  private current: { slots: Slots; keys: string[] } | null = null;
  private pending: Promise<void>[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: { GPUBufferUsage: typeof GPUBufferUsage; GPUMapMode: typeof GPUMapMode },
  ) {}

  /** The timestampWrites of the next dispatch's own pass, or undefined (untimed). */
  next(key: string): GPUComputePassTimestampWrites | undefined {
    this.current ??= { slots: this.free.pop() ?? this.createSlots(), keys: [] };
    const index = this.current.keys.length;
    if (index >= CAPACITY) return undefined;
    this.current.keys.push(key);
    return { querySet: this.current.slots.querySet, beginningOfPassWriteIndex: 2 * index, endOfPassWriteIndex: 2 * index + 1 };
  }

  /** Records the copy of this batch's timestamps (call before `encoder.finish()`). */
  resolve(encoder: GPUCommandEncoder): void {
    if (!this.current) return;
    const { slots, keys } = this.current;
    encoder.resolveQuerySet(slots.querySet, 0, 2 * keys.length, slots.resolve, 0);
    encoder.copyBufferToBuffer(slots.resolve, 0, slots.readback, 0, 16 * keys.length);
  }

  /** Reads the submitted batch's timestamps once the GPU is done (call after submit). */
  collect(): void {
    if (!this.current) return;
    const { slots, keys } = this.current;
    this.current = null;
    const done = slots.readback.mapAsync(this.usage.GPUMapMode.READ, 0, 16 * keys.length).then(
      () => {
        const times = new BigUint64Array(slots.readback.getMappedRange(0, 16 * keys.length));
        keys.forEach((key, i) => profiler.record('gpu', dispatchFamily(key), Number(times[2 * i + 1]! - times[2 * i]!) / 1e6));
        slots.readback.unmap();
        this.free.push(slots);
      },
      () => {}, // the device was lost or destroyed: nothing to record
    );
    this.pending.push(done);
  }

  /** Resolves when every collected batch has been recorded. */
  async settled(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
  }

  destroy(): void {
    for (const slots of this.free) {
      slots.querySet.destroy();
      slots.resolve.destroy();
      slots.readback.destroy();
    }
    this.free = [];
  }

  private createSlots(): Slots {
    const { GPUBufferUsage: U } = this.usage;
    return {
      querySet: this.device.createQuerySet({ type: 'timestamp', count: 2 * CAPACITY, label: 'profiler timestamps' }),
      resolve: this.device.createBuffer({ size: 16 * CAPACITY, usage: U.QUERY_RESOLVE | U.COPY_SRC, label: 'profiler resolve' }),
      readback: this.device.createBuffer({ size: 16 * CAPACITY, usage: U.MAP_READ | U.COPY_DST, label: 'profiler readback' }),
    };
  }
}
