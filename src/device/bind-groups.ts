// Bind groups reused across dispatches. A training step binds the same buffers to the same
// kernels every step (the buffer pool hands them out in the same order, and each dispatch's
// uniforms land at the same offset of the batch's uniform ring), so a bind group is cached
// by what it binds: the layout, and each binding's buffer, offset and size.
//
// Mind the memory behind a bind group: WebGPU cannot destroy one, it lives until the
// garbage collector takes its wrapper and the event loop turns, and Mesa's lavapipe maps
// 4 KiB of memory per live descriptor set; a process may hold 65,530 mappings (Linux's
// vm.max_map_count), past which the driver crashes. A cache must not keep alive bind groups
// that will not be used again: entries it drops have lived long enough to reach the old
// generation of the heap, which is collected rarely, and a workload that rarely repeats a
// binding (1,000 different ops in a row) then piled up more live bind groups than making a
// new one per dispatch did. So a key is cached only once it is seen a second time (a
// one-off bind group dies young, as before), and the cache holds at most MAX_BIND_GROUPS.
//
// A cached bind group must never be used once one of its buffers is destroyed (a validation
// error at submit), so the buffer pools report destroyed buffers here (`forget`), and every
// entry naming one is dropped at once.

/** Cached bind groups at most; the oldest entry goes first when a new one passes it. A
 * LeNet-5 training step uses about 110. */
const MAX_BIND_GROUPS = 512;
/** Keys remembered as seen once (strings only); forgotten all at once past this. */
const MAX_SEEN_KEYS = 8 * MAX_BIND_GROUPS;

/** One binding of a bind group: a whole storage range or the uniform ring's window. */
export interface BufferRange {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

export class BindGroupCache {
  private readonly groups = new Map<string, { group: GPUBindGroup; buffers: readonly GPUBuffer[] }>();
  /** The cache keys each buffer appears in, to drop them when it is destroyed. */
  private readonly keysOf = new Map<GPUBuffer, Set<string>>();
  /** A small number per buffer for the keys (WeakMap: a collected buffer needs no cleanup). */
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 1;
  /** Keys missed once: a second miss caches the bind group. */
  private seen = new Set<string>();
  /** Bind groups created and reused, for tests and benchmarks. */
  readonly counters = { created: 0, reused: 0 };

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.groups.size;
  }

  /** The bind group of `layout` (named `layoutId`) over `ranges`, bound at 0, 1, 2, …;
   * `beforeCreate` runs before a new one is made (it may throw to refuse). */
  get(layout: GPUBindGroupLayout, layoutId: string, ranges: readonly BufferRange[], label: string, beforeCreate: () => void = () => {}): GPUBindGroup {
    let key = layoutId;
    for (const r of ranges) key += `|${this.idOf(r.buffer)}:${r.offset}:${r.size}`;
    const cached = this.groups.get(key);
    if (cached) {
      this.counters.reused += 1;
      return cached.group;
    }
    beforeCreate();
    const group = this.device.createBindGroup({
      layout,
      entries: ranges.map((r, binding) => ({ binding, resource: { buffer: r.buffer, offset: r.offset, size: r.size } })),
      label,
    });
    this.counters.created += 1;
    if (!this.seen.has(key)) {
      if (this.seen.size >= MAX_SEEN_KEYS) this.seen.clear();
      this.seen.add(key);
      return group;
    }
    this.seen.delete(key);
    if (this.groups.size >= MAX_BIND_GROUPS) this.drop(this.groups.keys().next().value!);
    const buffers = [...new Set(ranges.map((r) => r.buffer))];
    this.groups.set(key, { group, buffers });
    for (const buffer of buffers) {
      let keys = this.keysOf.get(buffer);
      if (!keys) this.keysOf.set(buffer, (keys = new Set()));
      keys.add(key);
    }
    return group;
  }

  /** Drops every bind group that binds `buffer` (called before the buffer is destroyed). */
  forget(buffer: GPUBuffer): void {
    for (const key of this.keysOf.get(buffer) ?? []) this.drop(key);
    this.keysOf.delete(buffer);
  }

  clear(): void {
    this.groups.clear();
    this.seen.clear();
    this.keysOf.clear();
  }

  private drop(key: string): void {
    const entry = this.groups.get(key);
    if (!entry) return;
    this.groups.delete(key);
    for (const buffer of entry.buffers) {
      const keys = this.keysOf.get(buffer);
      keys?.delete(key);
      if (keys?.size === 0) this.keysOf.delete(buffer);
    }
  }

  private idOf(buffer: GPUBuffer): number {
    let id = this.ids.get(buffer);
    if (id === undefined) this.ids.set(buffer, (id = this.nextId++));
    return id;
  }
}
