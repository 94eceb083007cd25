// What differs between Node and a browser, in one place. The rule for the rest of src/:
// no `import … from 'node:…'` (static or dynamic) in any file reachable from index.ts, so a
// browser bundle of the library pulls in no Node module (test/browser/bundle.test.ts checks
// it). Node-only code asks for a built-in module when it runs, through `nodeModule`, which
// bundlers do not follow; in a browser that call throws a TensorLoopError naming the
// feature and its browser counterpart.

import { TensorLoopError } from './errors.js';

interface NodeProcess {
  versions?: { node?: string };
  env?: Record<string, string | undefined>;
  getBuiltinModule?: NodeJS.Process['getBuiltinModule'];
  on?(signal: string, handler: () => void): unknown;
  off?(signal: string, handler: () => void): unknown;
  exit?(code: number): never;
}

const nodeProcess = (globalThis as { process?: NodeProcess }).process;

/** True in Node (and runtimes that present themselves as Node), false in a browser. */
export const isNode = typeof nodeProcess?.versions?.node === 'string';

type BuiltinName = 'fs' | 'fs/promises' | 'path' | 'os' | 'zlib' | 'module' | 'util' | 'worker_threads';
interface Builtins {
  fs: typeof import('node:fs');
  'fs/promises': typeof import('node:fs/promises');
  path: typeof import('node:path');
  os: typeof import('node:os');
  zlib: typeof import('node:zlib');
  module: typeof import('node:module');
  util: typeof import('node:util');
  worker_threads: typeof import('node:worker_threads');
}

/** Node's built-in module `name` (`nodeModule('fs').readFileSync`). `feature` says who
 * asks and what to use in a browser instead, for the error thrown there. */
export function nodeModule<Name extends BuiltinName>(name: Name, feature: string): Builtins[Name] {
  const load = nodeProcess?.getBuiltinModule;
  if (!isNode || !load) {
    throw new TensorLoopError(`${feature} (it needs Node's \`${name}\` module, which is not available here${isNode ? ': Node >= 20.16 is needed' : ''})`);
  }
  return load.call(nodeProcess, `node:${name}`) as Builtins[Name];
}

/** An environment variable in Node; undefined in a browser. */
export function environmentVariable(name: string): string | undefined {
  return nodeProcess?.env?.[name];
}

/** Runs `callback` once the event loop has turned: after pending I/O, timers and (for
 * WebGPU) the runtime's own callbacks, not merely after the current microtasks.
 * `setImmediate` in Node; a MessageChannel message in a browser (a new task without
 * `setTimeout`'s 4 ms clamp). Returns nothing to cancel: the callbacks here are cheap. */
export function afterEventLoopTurn(callback: () => void): void {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (immediate) {
    immediate(callback);
    return;
  }
  // the DOM's MessageChannel (Node's type for the global differs, hence the local type)
  const channel = new MessageChannel() as unknown as { port1: { onmessage: () => void; close(): void }; port2: { postMessage(message: null): void } };
  channel.port1.onmessage = () => {
    channel.port1.close();
    callback();
  };
  channel.port2.postMessage(null);
}

/** Resolves after the event loop has turned once (see afterEventLoopTurn). */
export function eventLoopTurn(): Promise<void> {
  return new Promise((resolve) => afterEventLoopTurn(resolve));
}

/** Calls `handler` at each `signal` the process receives (Node; Ctrl-C is SIGINT) instead of
 * Node's default (exit). Returns what removes it. A browser has no signals: nothing happens. */
export function onProcessSignal(signal: 'SIGINT' | 'SIGTERM', handler: () => void): () => void {
  const process = nodeProcess;
  if (!isNode || typeof process?.on !== 'function' || typeof process.off !== 'function') return () => {};
  process.on(signal, handler);
  return () => void process.off!(signal, handler);
}

/** Ends the process at once with `code` (Node); does nothing in a browser. */
export function exitProcess(code: number): void {
  if (isNode) nodeProcess?.exit?.(code);
}
