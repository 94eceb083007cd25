// Gradient clipping helpers: by value and by global norm.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor } from '../../src/tensor.js';
import { clipByGlobalNorm, clipByValue, globalNorm } from '../../src/optim/index.js';
import { TensorLoopError } from '../../src/errors.js';
import { assertClose } from '../helpers/assert.js';

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

test.run();
