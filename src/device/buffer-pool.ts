// A pool of GPU buffers by size class, so a training loop whose shapes repeat stops
// allocating after its first step. Sizes round up to quarter-powers of two (at most 25%
// waste). A freed buffer is not reusable at once: commands already recorded in the open,
// unsubmitted command encoder may still read it, and a `queue.writeBuffer` into its next
// owner would run before them (writes act on the queue timeline at once). So frees wait in
// `pending` until the device submits that encoder (`recycle()`).

/** Buffers up to this size are pooled; larger ones are destroyed on free (rarely repeated). */
const MAX_POOLED_BYTES = 256 * 1024 * 1024;
/** The smallest class: tiny tensors (scalars, biases) share 256-byte buffers. */
const MIN_CLASS_BYTES = 256;

/** The pooled size for a request: 256 B minimum, then 1, 1.25, 1.5, 1.75 × 2^k. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_CLASS_BYTES) return MIN_CLASS_BYTES;
  const power = 2 ** Math.floor(Math.log2(bytes));
  const quarter = power / 4;
  return Math.ceil(bytes / quarter) * quarter;
}

export interface PoolStats {
  /** Buffers handed out and not yet freed. */
  liveBuffers: number;
  /** Buffers kept for reuse (free and pending). */
  pooledBuffers: number;
  pooledBytes: number;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private pending: GPUBuffer[] = [];
  private live = new Set<GPUBuffer>();

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: number,
    private readonly label: string,
    /** Called before a buffer is destroyed (the bind-group cache drops what binds it). */
    private readonly onDestroy: (buffer: GPUBuffer) => void = () => {},
  ) {}

  /** A buffer of at least `bytes` bytes (its size is the class size). */
  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const buffer = this.free.get(size)?.pop() ?? this.device.createBuffer({ size, usage: this.usage, label: `${this.label} ${size}` });
    this.live.add(buffer);
    return buffer;
  }

  /** Returns a buffer; reusable after the next `recycle()` (the next submit), or at once
   * when `nothingUnsubmitted` (no open encoder can still refer to it). */
  release(buffer: GPUBuffer, nothingUnsubmitted = false): void {
    if (!this.live.delete(buffer)) return;
    this.pending.push(buffer);
    if (nothingUnsubmitted) this.recycle();
  }

  /** Called right after a submit: pending frees become reusable. */
  recycle(): void {
    for (const buffer of this.pending) {
      if (buffer.size > MAX_POOLED_BYTES) {
        this.onDestroy(buffer);
        buffer.destroy(); // destroy() waits for submitted work that uses it
        continue;
      }
      let list = this.free.get(buffer.size);
      if (!list) this.free.set(buffer.size, (list = []));
      list.push(buffer);
    }
    this.pending = [];
  }

  stats(): PoolStats {
    let pooledBuffers = this.pending.length;
    let pooledBytes = this.pending.reduce((n, b) => n + b.size, 0);
    for (const list of this.free.values()) {
      pooledBuffers += list.length;
      pooledBytes += list.reduce((n, b) => n + b.size, 0);
    }
    return { liveBuffers: this.live.size, pooledBuffers, pooledBytes };
  }

  /** Destroys every buffer, live ones included (the device is going away). */
  destroy(): void {
    for (const buffer of [...this.live, ...this.pending, ...[...this.free.values()].flat()]) {
      this.onDestroy(buffer);
      buffer.destroy();
    }
    this.live.clear();
    this.pending = [];
    this.free.clear();
  }
}
