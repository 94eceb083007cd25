// The CPU device's WebAssembly runtime: one linear memory that kernels copy their operands
// into, the kernel module instantiated on it, and a second thread that runs half of a
// large kernel. src/kernels/wasm builds the module's bytes; this file only runs them.
//
// Memory. Kernels use the memory as scratch: `reset()` at the start of a kernel call, then
// `alloc(bytes)` hands out 16-byte-aligned regions (a bump allocator) past the control
// block. Tensors themselves stay plain TypedArrays.
//
// Threads. Where the memory can be shared (always in Node; in a browser only when
// crossOriginIsolated), one worker instantiates the same module on the same memory and
// waits on the control block (Atomics.wait). `parallel` posts the worker its half of a job
// (function and arguments written into the control block, then a notify), runs the other
// half itself, and waits for the worker's done counter. The worker starts asynchronously;
// until it is ready every job runs whole on the calling thread. In a browser without
// cross-origin isolation the memory is not shared and there is no worker.

import { nodeModule } from '../../platform.js';
import { workerSource } from './worker-source.js';

// The few WebAssembly and browser types used here (the project compiles without the DOM
// library, and Node 20's types do not declare WebAssembly).
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
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

const PAGE = 65536;
/** Bytes 0…CONTROL_BYTES hold the control block: [job seq, done seq, ready, function, args…]. */
const CONTROL_BYTES = 256;
const SEQ = 0;
const DONE = 1;
const READY = 2;
const FUNCTION = 3;
const ARGS = 4;
/** Scratch is capped so that a huge tensor falls back to the TypeScript reference. */
const MAXIMUM_PAGES = 16384; // 1 GiB

export interface WasmRuntime {
  /** The module's exported functions by name. */
  readonly exports: Record<string, (...args: number[]) => void>;
  /** Frees all scratch (call at the start of a kernel). */
  reset(): void;
  /** A scratch region of `bytes` (16-byte aligned), or -1 when the memory cannot hold it. */
  alloc(bytes: number): number;
  /** A Float32Array over the whole memory (make a new one after any alloc: memory may grow). */
  f32(): Float32Array;
  /** Runs exports[name](...argsOf(0)) here and exports[name](...argsOf(1)) on the worker at once
   * when it is ready, else both parts here one after the other. */
  parallel(name: string, argsOf: (part: 0 | 1) => number[]): void;
  /** Whether a second thread takes half of `parallel` jobs now. */
  readonly threaded: boolean;
}

function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  const g = globalThis as { crossOriginIsolated?: boolean; process?: { versions?: { node?: string } } };
  return g.process?.versions?.node !== undefined || g.crossOriginIsolated === true;
}

const isNode = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== undefined;

/** Instantiates a module built by `build(shared)` (the memory import must match `shared`). */
export function createRuntime(build: (memory: { initialPages: number; maximumPages: number; shared: boolean }) => Uint8Array): WasmRuntime | null {
  const shared = canShareMemory();
  const limits = { initialPages: 16, maximumPages: MAXIMUM_PAGES, shared };
  let memory: WasmMemory;
  let module: WasmModule;
  let instance: { exports: object };
  try {
    memory = new WebAssembly.Memory({ initial: limits.initialPages, maximum: limits.maximumPages, shared });
    module = new WebAssembly.Module(build(limits));
    instance = new WebAssembly.Instance(module, { env: { memory } });
  } catch {
    return null; // no WebAssembly SIMD here, or synchronous compiling is not allowed
  }
  const exports = instance.exports as unknown as Record<string, (...args: number[]) => void>;
  const names = Object.keys(exports);
  let top = CONTROL_BYTES;
  let view = new Float32Array(memory.buffer);
  const control = () => new Int32Array(memory.buffer, 0, CONTROL_BYTES / 4);
  let workerReady = false;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (shared && env?.TENSORLOOP_CPU_THREADS !== '1') void startWorker(module, memory, names).then((ok) => (workerReady = ok));

  const runtime: WasmRuntime = {
    exports,
    reset() {
      top = CONTROL_BYTES;
    },
    alloc(bytes) {
      const start = top;
      const end = start + Math.ceil(bytes / 16) * 16;
      if (end > memory.buffer.byteLength) {
        const pages = Math.ceil((end - memory.buffer.byteLength) / PAGE);
        if (memory.buffer.byteLength / PAGE + pages > MAXIMUM_PAGES) return -1;
        memory.grow(pages);
      }
      top = end;
      return start;
    },
    f32() {
      if (view.buffer !== memory.buffer || view.length * 4 !== memory.buffer.byteLength) view = new Float32Array(memory.buffer);
      return view;
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
    const init = { module, memory, names, control: { SEQ, DONE, READY, FUNCTION, ARGS } };
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
