// The CPU device's WebAssembly runtime: the kernel module instantiated on the heap's memory
// (heap.ts: the CPU tensors live there, so kernels work on them in place), scratch regions
// for a kernel's temporaries, and a second thread that shares a large kernel's work.
// src/kernels/wasm builds the module's bytes; this file only runs them.
//
// Where the memory cannot be shared there is no heap: the runtime then keeps an unshared
// memory of its own, used only for scratch, and kernels copy their operands into it.
//
// Threads. Where the memory is shared, one worker instantiates the same module on the same
// memory and waits on the control block (Atomics.wait). A parallel job is a function over a
// range of work units (a GEMM's tiles), cut into chunks; `parallel` posts the job (function
// and arguments in the control block, then a notify) and both threads claim chunks from one
// counter until none is left, so a worker the OS has not scheduled yet costs nothing but
// the chunk it holds: the calling thread does the rest. The counter carries the job's
// sequence number, so a worker that wakes late cannot claim a chunk of a finished job. The
// worker starts asynchronously; until it is ready every job runs whole on the calling thread.

import { environmentVariable, nodeModule } from '../../platform.js';
import { CONTROL_BYTES, INITIAL_PAGES, MAXIMUM_PAGES, type WasmMemory, WasmHeap, wasmHeap } from './heap.js';
import { workerSource } from './worker-source.js';

// The few WebAssembly and browser types used here (the project compiles without the DOM
// library, and Node 20's types do not declare WebAssembly).
type WasmModule = object;
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
interface BrowserGlobals {
  Worker: new (url: string) => { postMessage(message: unknown): void };
  Blob: new (parts: string[], options: { type: string }) => unknown;
}

/** The control block (Int32 slots): the job's sequence number, the worker's ready flag, the
 * function, the chunk counter and the finished-chunk count (each tagged with the job:
 * sequence << 8 | count), and the arguments of the worker's calls. */
const SEQ = 0;
const READY = 1;
const FUNCTION = 2;
const CLAIM = 3;
const FINISHED = 4;
const CHUNKS = 5;
const UNITS = 6;
const RANGE_AT = 7;
const ARG_COUNT = 8;
const ARGS = 16;
/** Arguments a job may pass to the worker. */
const MAX_ARGS = 32; // ARGS + MAX_ARGS ≤ CONTROL_BYTES / 4
/** Chunks per job: enough that a late worker costs little, few enough to stay under 256. */
const CHUNKS_PER_JOB = 16;
/** Polls of a counter before a thread sleeps on it (a few microseconds): a fork-join and
 * back-to-back jobs usually finish within it, and a futex wake-up costs more. */
const SPINS = 2000;

/** Claims the next chunk of job `tag` ([start, end) in units), or null when none is left. */
function claimChunk(ctl: Int32Array, tag: number): [number, number] | null {
  for (;;) {
    const v = Atomics.load(ctl, CLAIM);
    const chunk = v & 255;
    if (v >>> 8 !== tag || chunk >= ctl[CHUNKS]!) return null;
    if (Atomics.compareExchange(ctl, CLAIM, v, v + 1) === v) {
      const size = Math.ceil(ctl[UNITS]! / ctl[CHUNKS]!);
      return [chunk * size, Math.min(ctl[UNITS]!, (chunk + 1) * size)];
    }
  }
}

export interface WasmRuntime {
  /** The module's exported functions by name. */
  readonly exports: Record<string, (...args: number[]) => void>;
  /** The memory's allocator: CPU tensors and scratch when `tensorsInMemory`, else scratch. */
  readonly heap: WasmHeap;
  /** Whether CPU tensors live in this memory (their storage's address is valid here). */
  readonly tensorsInMemory: boolean;
  /** Frees the scratch handed out since the last reset (call at the start of a kernel). */
  reset(): void;
  /** A scratch region of `bytes` (64-byte aligned), or -1 when the memory cannot hold it. */
  alloc(bytes: number): number;
  /** A Float32Array over the whole memory (ask again after any allocation: memory may grow). */
  f32(): Float32Array;
  /** Runs exports[name](...args, start, end, ...threadArgs[t]) over chunks [start, end) of
   * [0, units) on both threads (t = 0 here, 1 on the worker), or whole here when there is
   * no worker. threadArgs: each thread's own scratch. */
  parallel(name: string, args: number[], units: number, threadArgs: [number[], number[]]): void;
  /** Whether a second thread takes part in `parallel` jobs now. */
  readonly threaded: boolean;
}

const isNode = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== undefined;

/** Instantiates a module built by `build(shared)` (the memory import must match `shared`). */
export function createRuntime(build: (memory: { initialPages: number; maximumPages: number; shared: boolean }) => Uint8Array): WasmRuntime | null {
  const tensorHeap = wasmHeap();
  const shared = tensorHeap !== null;
  const limits = { initialPages: INITIAL_PAGES, maximumPages: MAXIMUM_PAGES, shared };
  let heap: WasmHeap;
  let module: WasmModule;
  let instance: { exports: object };
  try {
    heap = tensorHeap ?? new WasmHeap(new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: false }));
    module = new WebAssembly.Module(build(limits));
    instance = new WebAssembly.Instance(module, { env: { memory: heap.memory } });
  } catch {
    return null; // no WebAssembly SIMD here, or synchronous compiling is not allowed
  }
  const memory = heap.memory;
  const exports = instance.exports as unknown as Record<string, (...args: number[]) => void>;
  const names = Object.keys(exports);
  const scratch: number[] = [];
  let sequence = 0;
  const control = () => new Int32Array(memory.buffer, 0, CONTROL_BYTES / 4);
  let workerReady = false;
  if (shared && environmentVariable('TENSORLOOP_CPU_THREADS') !== '1') void startWorker(module, memory, names).then((ok) => (workerReady = ok));

  const runtime: WasmRuntime = {
    exports,
    heap,
    tensorsInMemory: shared,
    reset() {
      for (const address of scratch) heap.release(address);
      scratch.length = 0;
    },
    alloc(bytes) {
      const address = heap.allocate(bytes);
      if (address >= 0) scratch.push(address);
      return address;
    },
    f32() {
      return heap.f32();
    },
    parallel(name, args, units, threadArgs) {
      const fn = exports[name]!;
      if (!workerReady) {
        fn(...args, 0, units, ...threadArgs[0]);
        return;
      }
      const ctl = control();
      const callArgs = [...args, 0, 0, ...threadArgs[1]];
      ctl[FUNCTION] = names.indexOf(name);
      callArgs.forEach((a, i) => (ctl[ARGS + i] = a));
      ctl[ARG_COUNT] = callArgs.length;
      ctl[RANGE_AT] = args.length;
      ctl[UNITS] = units;
      ctl[CHUNKS] = Math.min(CHUNKS_PER_JOB, units);
      sequence = (sequence + 1) & 0xffffff;
      const tag = sequence << 8;
      Atomics.store(ctl, FINISHED, tag);
      Atomics.store(ctl, CLAIM, tag);
      Atomics.store(ctl, SEQ, sequence);
      Atomics.notify(ctl, SEQ);
      for (let range = claimChunk(ctl, sequence); range; range = claimChunk(ctl, sequence)) {
        fn(...args, range[0], range[1], ...threadArgs[0]);
        Atomics.add(ctl, FINISHED, 1);
      }
      // wait for the chunks the worker holds: spin a little, then sleep (a browser's main
      // thread may not block: it spins)
      const all = tag | ctl[CHUNKS]!;
      for (let i = 0, done = Atomics.load(ctl, FINISHED); done !== all; i++, done = Atomics.load(ctl, FINISHED)) {
        if (isNode && i >= SPINS) Atomics.wait(ctl, FINISHED, done);
      }
    },
    get threaded() {
      return workerReady;
    },
  };
  return runtime;
}

/** Starts the worker; resolves true once it has instantiated the module and is waiting. */
async function startWorker(module: WasmModule, memory: WasmMemory, names: string[]): Promise<boolean> {
  try {
    const ctl = new Int32Array(memory.buffer, 0, CONTROL_BYTES / 4);
    const init = { module, memory, names, control: { SEQ, READY, FUNCTION, CLAIM, FINISHED, CHUNKS, UNITS, RANGE_AT, ARG_COUNT, ARGS, SPINS } };
    if (isNode) {
      const { Worker } = nodeModule('worker_threads', 'the WebAssembly worker');
      const worker = new Worker(workerSource('node'), { eval: true });
      worker.unref(); // a waiting worker must not keep the process alive
      worker.postMessage(init);
    } else {
      const { Worker, Blob } = globalThis as unknown as BrowserGlobals;
      const url = URL.createObjectURL(new Blob([workerSource('browser')], { type: 'text/javascript' }) as never);
      const worker = new Worker(url);
      worker.postMessage(init);
    }
    // wait (without blocking) for the worker to say it is ready
    for (let i = 0; i < 1000 && Atomics.load(ctl, READY) !== 1; i++) await new Promise((r) => setTimeout(r, 5));
    return Atomics.load(ctl, READY) === 1;
  } catch {
    return false;
  }
}
