// Gradient clipping helpers: by value and by global norm.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor } from '../../src/tensor.js';
import { clipByGlobalNorm, clipByValue, globalNorm } from '../../src/optim/index.js';
import { TensorLoopError } from '../../src/errors.js';
import { assertClose } from '../helpers/assert.js';
import { testDevices } from '../helpers/devices.js';

const grads = () => new Map([['a', tensor([3, -4])], ['b', tensor([[12]])]]); // global norm 13

test('globalNorm is √Σg² over every gradient', async () => {
  assertClose([await globalNorm(grads()).item()], [13]);
});

test('clipByGlobalNorm scales all gradients together, and leaves small ones alone', async () => {
  const clipped = clipByGlobalNorm(grads(), 6.5);
  assertClose(await clipped.get('a')!.data(), [1.5, -2]);
  assertClose(await clipped.get('b')!.data(), [6]);
  assert.equal(clipped.get('b')!.shape, [1, 1]);
  const same = clipByGlobalNorm(grads(), 100);
  assertClose(await same.get('a')!.data(), [3, -4]);
  assert.throws(() => clipByGlobalNorm(grads(), 0), (e: Error) => e instanceof TensorLoopError && /maxNorm/.test(e.message));
});

test('clipByValue clamps each element', async () => {
  const clipped = clipByValue(grads(), 3.5);
  assertClose(await clipped.get('a')!.data(), [3, -3.5]);
  assertClose(await clipped.get('b')!.data(), [3.5]);
  assert.throws(() => clipByValue(grads(), -1), (e: Error) => e instanceof TensorLoopError);
});

// Clipping must not launder a non-finite gradient into a finite one, on any device.
for (const device of await testDevices()) {
  test(`clipByGlobalNorm of a NaN gradient is NaN; clipByValue keeps NaN [${device.name}]`, async () => {
    const nan = () => new Map([['a', tensor([NaN, 1, 2, 3], { device })], ['b', tensor([4], { device })]]);
    const byNorm = clipByGlobalNorm(nan(), 1);
    assertClose(await byNorm.get('a')!.data(), [NaN, NaN, NaN, NaN], {}, 'clipByGlobalNorm a');
    assertClose(await byNorm.get('b')!.data(), [NaN], {}, 'clipByGlobalNorm b');
    assertClose(await clipByValue(nan(), 2).get('a')!.data(), [NaN, 1, 2, 2], {}, 'clipByValue');
    // an infinite norm scales finite entries to 0 and an infinite one to NaN (Inf · 0), as PyTorch
    const inf = clipByGlobalNorm(new Map([['a', tensor([Infinity, 1, 2, 3], { device })]]), 1);
    assertClose(await inf.get('a')!.data(), [NaN, 0, 0, 0], {}, 'infinite norm');
  });
}

test.run();
