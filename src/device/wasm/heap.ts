// The CPU device's WebAssembly heap: one linear memory that holds the CPU tensors' elements
// and the kernels' scratch, so that a WebAssembly kernel reads its operands and writes its
// result where they lie, with no copy in or out. src/device/cpu.ts allocates tensors here;
// src/device/wasm/runtime.ts instantiates the kernel module on the same memory.
//
// Only where the memory can be shared (always in Node; in a browser when
// crossOriginIsolated). A shared memory grows in place, so a Float32Array made over it
// stays valid after a grow (it just does not see the new pages); an unshared one detaches
// every view on a grow, so tensors there stay plain TypedArrays and kernels copy operands
// in (wasmHeap() is then null and the runtime keeps a memory of its own).
//
// Allocation: block sizes are rounded up to a size class (multiples of 64 bytes up to 4 KiB,
// then 8 classes per doubling: at most 12.5% slack), freed blocks go on their class's free
// list and are handed out again first; new blocks come from the top of the heap, which
// grows the memory as needed. A training step allocates the same sizes every step, so after
// the first step it is served from the free lists. Blocks are 64-byte aligned (a cache
// line: the two threads never write one line), and SLACK bytes past the top stay mapped so
// a kernel's whole-vector read just past an operand's end stays in bounds. When the memory
// would pass MAXIMUM_PAGES, allocate returns -1 and the caller falls back to a plain array.

import { TensorLoopError } from '../../errors.js';
import { environmentVariable } from '../../platform.js';

// The few WebAssembly types used here (the project compiles without the DOM library, and
// Node 20's types do not declare WebAssembly).
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmMemoryConstructor {
  new (descriptor: { initial: number; maximum: number; shared: boolean }): WasmMemory;
}

export const PAGE = 65536;
export const INITIAL_PAGES = 16;
/** 1 GiB: tensors past it are plain arrays (and kernels on them copy through scratch). */
export const MAXIMUM_PAGES = 16384;
/** Bytes 0…CONTROL_BYTES hold the two threads' control block (runtime.ts). */
export const CONTROL_BYTES = 256;
const ALIGN = 64;
const SLACK = 64;

/** The size class of a block of `bytes`. */
function classOf(bytes: number): number {
  if (bytes <= 4096) return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 3); // 8 classes per doubling
  return Math.ceil(bytes / step) * step;
}

export class WasmHeap {
  private top = CONTROL_BYTES;
  private readonly free = new Map<number, number[]>();
  /** Size class of every block handed out, by address. */
  private readonly live = new Map<number, number>();
  private f32View: Float32Array;

  constructor(
    readonly memory: WasmMemory,
    private readonly maximumPages = MAXIMUM_PAGES,
  ) {
    this.f32View = new Float32Array(memory.buffer);
  }

  /** The address of a new 64-byte-aligned block of at least `bytes`, or -1 when the memory
   * cannot hold it. Its contents are whatever the last owner left (see zeroed). */
  allocate(bytes: number): number {
    const size = classOf(bytes);
    const reused = this.free.get(size)?.pop();
    if (reused !== undefined) {
      this.live.set(reused, size);
      return reused;
    }
    const start = this.top;
    const end = start + size;
    const have = this.memory.buffer.byteLength;
    if (end + SLACK > have) {
      const pages = Math.ceil((end + SLACK - have) / PAGE);
      const current = have / PAGE;
      if (current + pages > this.maximumPages) return -1;
      // grow by at least a quarter of the memory: fewer grows
      this.memory.grow(Math.min(this.maximumPages - current, Math.max(pages, Math.ceil(current / 4))));
    }
    this.top = end;
    this.live.set(start, size);
    return start;
  }

  /** Returns a block to its free list. */
  release(address: number): void {
    const size = this.live.get(address);
    if (size === undefined) throw new TensorLoopError(`WasmHeap: ${address} is not an allocated block (released twice?)`);
    this.live.delete(address);
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(address);
  }

  /** A Float32Array over the whole memory as it is now (a new one after a grow). */
  f32(): Float32Array {
    if (this.f32View.length * 4 !== this.memory.buffer.byteLength) this.f32View = new Float32Array(this.memory.buffer);
    return this.f32View;
  }

  /** Blocks handed out and bytes they span (their size classes), for tests. */
  stats(): { blocks: number; bytes: number; top: number } {
    let bytes = 0;
    for (const size of this.live.values()) bytes += size;
    return { blocks: this.live.size, bytes, top: this.top };
  }
}

let heap: WasmHeap | null | undefined;

function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  const g = globalThis as { crossOriginIsolated?: boolean; process?: { versions?: { node?: string } } };
  return g.process?.versions?.node !== undefined || g.crossOriginIsolated === true;
}

/** The heap, made on first use; null where WebAssembly memory cannot be shared, with
 * TENSORLOOP_WASM=0, or with TENSORLOOP_WASM_HEAP=0 (as a browser without cross-origin
 * isolation: kernels copy through an unshared scratch memory, one thread). CPU tensors are
 * then plain TypedArrays. */
export function wasmHeap(): WasmHeap | null {
  if (heap !== undefined) return heap;
  heap = null;
  const Memory = (globalThis as unknown as { WebAssembly?: { Memory: WasmMemoryConstructor } }).WebAssembly?.Memory;
  if (!Memory || !canShareMemory() || environmentVariable('TENSORLOOP_WASM') === '0' || environmentVariable('TENSORLOOP_WASM_HEAP') === '0') return heap;
  try {
    heap = new WasmHeap(new Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true }));
  } catch {
    heap = null; // e.g. a browser that has SharedArrayBuffer but not shared WebAssembly memory
  }
  return heap;
}
