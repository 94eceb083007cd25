// Junk arguments at the public API: null, strings, non-functions, functions returning the
// wrong thing, huge shapes. Each call must throw a TensorLoopError whose message starts with
// the name of the op, function or layer (and names the offending value), never the engine's
// raw TypeError or RangeError from somewhere inside, and leave no tensor behind.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, valueAndGrad } from '../../src/autodiff/gradients.js';
import { cpu } from '../../src/device/cpu.js';
import { TensorLoopError } from '../../src/errors.js';
import { Conv2D, Dense, LayerNorm, MaxPool2D } from '../../src/nn/index.js';
import * as ops from '../../src/ops/index.js';
import { Adam, SGD, clipByGlobalNorm, clipByValue } from '../../src/optim/index.js';
import { arange, liveTensorCount, ones, tensor, zeros } from '../../src/tensor.js';

const device = cpu;
const t = ones([2, 2], { device });
const dense = new Dense(2, 3, { device });
const conv = new Conv2D([3, 3, 1, 2], { device });
const norm = new LayerNorm(2, { device });
const pool = new MaxPool2D({ windowSize: 2 });
const junk = null as never;

/** [who the message must start with, the call, what else the message must say] */
const cases: [string, () => unknown, RegExp?][] = [
  ['reshape', () => ops.reshape(t, junk), /null/],
  ['reshape', () => ops.reshape(t, 'ab' as never), /"ab"/],
  ['reshape', () => ops.reshape(t, [2, '2'] as never), /shape/],
  ['tensor', () => tensor([1, 2], { shape: 'ab' as never }), /"ab"/],
  ['tensor', () => tensor(null as never), /null/],
  ['slice', () => ops.slice(t, junk, junk), /null/],
  ['slice', () => ops.slice(t, [0, 0], 'ab' as never), /"ab"/],
  ['broadcastTo', () => ops.broadcastTo(t, junk), /null/],
  ['transpose', () => ops.transpose(t, 'ab' as never), /"ab"/],
  ['pad', () => ops.pad(t, junk), /null/],
  ['zeros', () => zeros(junk), /null/],
  ['zeros', () => zeros([1e6, 1e6]), /\[1000000,1000000\]/],
  ['arange', () => arange(0, 1e12), /1000000000000/],
  ['arange', () => arange(0, 'ab' as never), /"ab"/],
  ['grad', () => grad(junk)(t), /function.*null/],
  ['grad', () => grad((() => 5) as never)(t), /Tensor.*5/],
  ['valueAndGrad', () => valueAndGrad(junk)(t), /function/],
  ['valueAndGrad', () => valueAndGrad((() => 'x') as never)(t), /Tensor/],
  ['grad', () => grad((x) => ops.sum(x))(junk), /argument 0.*null/],
  ['SGD.update', () => new SGD(dense, { learningRate: 0.1 }).update(dense, junk), /Map.*null/],
  ['Adam.update', () => new Adam(dense).update(dense, {} as never), /Map/],
  ['Adam.update', () => new Adam(dense).update(junk, new Map()), /model/],
  ['clipByGlobalNorm', () => clipByGlobalNorm(junk, 1), /Map.*null/],
  ['clipByValue', () => clipByValue([] as never, 1), /Map.*\[\]/],
  ['matmul', () => ops.matmul(t, junk), /b must be a Tensor, got null/],
  ['Dense', () => dense.forward(junk), /Tensor.*null/],
  ['Conv2D', () => conv.forward('x' as never), /Tensor/],
  ['LayerNorm', () => norm.forward(junk), /Tensor/],
  ['MaxPool2D', () => pool.forward(junk), /Tensor/],
];

cases.forEach(([who, call, pattern], i) => {
  test(`junk argument ${i}: ${who} throws a TensorLoopError naming itself`, () => {
    const before = liveTensorCount(device);
    let caught: unknown;
    try {
      call();
    } catch (error) {
      caught = error;
    }
    if (!(caught instanceof TensorLoopError)) assert.unreachable(`expected a TensorLoopError from ${who}, got ${caught === undefined ? 'no error' : String(caught)}`);
    const message = (caught as Error).message;
    assert.ok(message.startsWith(`${who}`), `message should start with ${who}: "${message}"`);
    if (pattern) assert.match(message, pattern);
    assert.is(liveTensorCount(device), before, `${who} left tensors allocated: "${message}"`);
  });
});

test.run();
