// Composite ops free their intermediates: outside a gradient computation, an op leaves
// exactly one new live tensor (its result), on every device. Inside valueAndGrad the tape
// keeps them until the gradient is taken, and the gradient's own scope frees them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { add, clip, dropout, logSoftmax, logSumExp, matmul, mean, softmax, stack, sum, where, greater } from '../../src/ops/index.js';
import { valueAndGrad } from '../../src/autodiff/gradients.js';
import { liveTensorCount } from '../../src/tensor.js';
import type { Tensor } from '../../src/tensor.js';
import { normal, testDevices } from './support.js';

const OPS: [string, (x: Tensor) => Tensor][] = [
  ['sum over one axis', (x) => sum(x, 0)],
  ['mean', (x) => mean(x)],
  ['softmax', (x) => softmax(x)],
  ['logSoftmax', (x) => logSoftmax(x)],
  ['logSumExp', (x) => logSumExp(x)],
  ['dropout', (x) => dropout(x, 0.5, { seed: 1 })],
  ['clip', (x) => clip(x, -0.5, 0.5)],
  ['add a number', (x) => add(x, 1)],
  ['where with numbers', (x) => where(greater(x, 0), x, 0)],
  ['matmul', (x) => matmul(x, x, { transposeB: true })],
  ['stack', (x) => stack([x, x], 1)],
];

for (const device of await testDevices()) {
  for (const [name, op] of OPS) {
    test(`${device.name}: ${name} leaves only its result alive`, () => {
      const x = normal([4, 5], device);
      const before = liveTensorCount(device);
      const y = op(x);
      // where's condition is made by the caller: count it as an input
      const expected = name === 'where with numbers' ? 2 : 1;
      assert.is(liveTensorCount(device) - before, expected);
      y.dispose();
      x.dispose();
    });
  }

  test(`${device.name}: valueAndGrad frees the forward and backward intermediates`, () => {
    const x = normal([4, 5], device);
    const before = liveTensorCount(device);
    const [value, [gx]] = valueAndGrad((t) => sum(logSoftmax(matmul(t, t, { transposeB: true }))))(x);
    assert.is(liveTensorCount(device) - before, 2, 'the value and one gradient');
    value.dispose();
    gx!.dispose();
    x.dispose();
  });
}

test.run();
