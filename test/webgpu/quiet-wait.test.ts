// Waiting for the GPU does not spin the main thread: while a readback is pending, Dawn's
// completion polls (native callbacks handed to setImmediate) sleep on a timer instead of
// re-running at once, JavaScript setImmediate callbacks still run as usual, and the
// original setImmediate is back once the wait ends.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quietly } from '../../src/device/quiet-wait.js';
import { matmul } from '../../src/ops/index.js';
import { randu } from '../../src/tensor.js';
import { testWebGpu } from '../helpers/devices.js';

const gpu = await testWebGpu();

type Immediate = typeof globalThis.setImmediate;

/** Runs `f` with setImmediate wrapped by a counter of native (Dawn) and JS callbacks. */
async function countingImmediates(f: () => Promise<void>): Promise<{ native: number; js: number }> {
  const real = globalThis.setImmediate;
  const counts = { native: 0, js: 0 };
  const counting = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    if (Function.prototype.toString.call(callback).endsWith('{ [native code] }')) counts.native++;
    else counts.js++;
    return real(callback, ...args);
  }) as Immediate;
  globalThis.setImmediate = counting;
  try {
    await f();
  } finally {
    assert.is(globalThis.setImmediate, counting, 'the wait put back the setImmediate it found');
    globalThis.setImmediate = real;
  }
  return counts;
}

test('quietly passes JavaScript setImmediate callbacks through and restores setImmediate', async () => {
  const real = globalThis.setImmediate;
  let ran = false;
  await quietly(new Promise<void>((resolve) => setImmediate(() => ((ran = true), resolve()))));
  assert.ok(ran);
  assert.is(globalThis.setImmediate, real);
});

test('quietly hands native setImmediate callbacks to a timer, JavaScript ones to setImmediate', async () => {
  const ran: string[] = [];
  const nativeCallback = Function.prototype.call.bind(() => ran.push('native')) as () => void; // a bound function prints as native code
  const counts = await countingImmediates(() =>
    // the callbacks are handed to setImmediate once quietly() has begun (a microtask later)
    quietly(
      Promise.resolve().then(
        () =>
          new Promise<void>((resolve) => {
            setImmediate(nativeCallback);
            setImmediate(() => ran.push('js'));
            setTimeout(resolve, 20);
          }),
      ),
    ),
  );
  assert.equal(counts, { native: 0, js: 1 });
  assert.equal(ran.sort(), ['js', 'native']);
});

if (gpu) {
  test('a readback waits for a long GPU computation without Dawn polling through setImmediate', async () => {
    const a = randu([512, 512], { seed: 1, device: gpu });
    let c = matmul(a, a);
    for (let i = 0; i < 8; i++) c = matmul(c, a); // tens of milliseconds on a software adapter
    await gpu.synchronize(); // settle promises of earlier work (compiles, error scopes)
    let d = matmul(a, a);
    for (let i = 0; i < 8; i++) d = matmul(d, a);
    const counts = await countingImmediates(async () => {
      await d.data();
    });
    // Without the quiet wait Dawn re-arms setImmediate hundreds of times during the read.
    assert.ok(counts.native <= 3, `Dawn polled through setImmediate ${counts.native} times`);
    a.dispose();
    c.dispose();
    d.dispose();
  });
}

test.run();
