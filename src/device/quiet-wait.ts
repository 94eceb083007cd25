// Waiting for the GPU without spinning the CPU (Dawn's Node binding only).
//
// While any GPU promise is pending (mapAsync, onSubmittedWorkDone, popErrorScope), dawn.node
// polls for its completion by re-arming `globalThis.setImmediate` with a native callback
// after each poll, so the main thread runs flat out for as long as the GPU works. On a
// software adapter (lavapipe) that steals a core from the threads doing the GPU's work;
// on a real GPU it still burns a core per process. `quietly(promise)` makes those polls
// sleep instead: while it waits, setImmediate calls whose callback is native code (Dawn's
// poll; JavaScript callbacks pass through unchanged) run after a timer of POLL_MS instead.
// The binding looks setImmediate up on every poll, so this takes effect at once. In a
// browser there is no setImmediate and nothing to do: the browser delivers GPU promises.

/** Sleep between two polls of a pending GPU promise: finer polls cost CPU, coarser ones
 * add latency to every readback (a training step waits once per loss read). */
const POLL_MS = 1;

type SetImmediate = (callback: (...args: unknown[]) => void, ...args: unknown[]) => unknown;

let waiters = 0;
let original: SetImmediate | null = null;

function isNative(callback: unknown): boolean {
  return typeof callback === 'function' && Function.prototype.toString.call(callback).endsWith('{ [native code] }');
}

function sleepyPoll(callback: (...args: unknown[]) => void, ...args: unknown[]): unknown {
  if (isNative(callback)) return setTimeout(callback, POLL_MS, ...args);
  return original!(callback, ...args);
}

/** Awaits `promise` with Dawn's completion polls sleeping POLL_MS between polls. */
export async function quietly<T>(promise: Promise<T>): Promise<T> {
  const global = globalThis as { setImmediate?: SetImmediate };
  if (typeof global.setImmediate !== 'function') return promise;
  if (waiters++ === 0) {
    original = global.setImmediate;
    global.setImmediate = sleepyPoll;
  }
  try {
    return await promise;
  } finally {
    // Restore only our own replacement (someone may have installed theirs meanwhile).
    if (--waiters === 0 && global.setImmediate === sleepyPoll) global.setImmediate = original!;
  }
}
