// The CPU device's WebAssembly runtime: the kernel module instantiated on the heap's memory
// (heap.ts: the CPU tensors live there, so kernels work on them in place), scratch regions
// for a kernel's temporaries, and a second thread that runs half of a large kernel.
// src/kernels/wasm builds the module's bytes; this file only runs them.
//
// Where the memory cannot be shared there is no heap: the runtime then keeps an unshared
// memory of its own, used only for scratch, and kernels copy their operands into it.
//
// Threads. Where the memory is shared, one worker instantiates the same module on the same
// memory and waits on the control block (Atomics.wait). `parallel` posts the worker its
// half of a job (function and arguments written into the control block, then a notify),
// runs the other half itself, and waits for the worker's done counter. The worker starts
// asynchronously; until it is ready every job runs whole on the calling thread.

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

/** The control block: [job seq, done seq, ready, function, args…] (Int32 slots). */
const SEQ = 0;
const DONE = 1;
const READY = 2;
const FUNCTION = 3;
const ARGS = 4;
/** Arguments a job may pass to the worker. */
const MAX_ARGS = 16;

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
  /** Runs exports[name](...argsOf(0)) here and exports[name](...argsOf(1)) on the worker at once
   * when it is ready, else both parts here one after the other. */
  parallel(name: string, argsOf: (part: 0 | 1) => number[]): void;
  /** Whether a second thread takes half of `parallel` jobs now. */
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
    parallel(name, argsOf) {
      const fn = exports[name]!;
      if (!workerReady) {
        fn(...argsOf(0));
        fn(...argsOf(1));
        return;
      }
      const ctl = control();
      const args = argsOf(1);
      ctl[FUNCTION] = names.indexOf(name);
      args.forEach((a, i) => (ctl[ARGS + i] = a));
      const seq = Atomics.add(ctl, SEQ, 1) + 1;
      Atomics.notify(ctl, SEQ);
      fn(...argsOf(0));
      for (;;) {
        const done = Atomics.load(ctl, DONE);
        if (done === seq) break;
        if (isNode) Atomics.wait(ctl, DONE, done); // a browser's main thread may not block: spin
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
    const init = { module, memory, names, control: { SEQ, DONE, READY, FUNCTION, ARGS, MAX_ARGS } };
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
