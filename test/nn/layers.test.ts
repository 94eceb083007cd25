// Dense, Conv2D, pooling, Flatten, Sequential, activations and initializers: output
// shapes, gradient checks through each layer, and errors that name the layer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randn, tensor } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { relu } from '../../src/ops/index.js';
import { TensorLoopError } from '../../src/errors.js';
import {
  Activation, AvgPool2D, Conv2D, Dense, Flatten, GlobalAvgPool2D, MaxPool2D, Module, Sequential, glorotUniform, heNormal,
} from '../../src/nn/index.js';
import type { Tensor } from '../../src/tensor.js';
import { assertTensorClose } from '../helpers/assert.js';
import { checkLayerGradient } from './layer-gradient.js';

const isLoopError = (pattern: RegExp) => (e: Error) => e instanceof TensorLoopError && pattern.test(e.message);

test('Dense: [N, in] and [N, T, in] inputs, activation, gradients', async () => {
  const dense = new Dense(3, 4, { activation: 'relu', seed: 1 });
  assert.equal(dense.forward(randn([2, 3])).shape, [2, 4]);
  assert.equal(dense.forward(randn([2, 5, 3])).shape, [2, 5, 4]);
  const x = randn([2, 3], { seed: 2 });
  const plain = new Dense(3, 4, { seed: 1 });
  await assertTensorClose(dense.forward(x), relu(plain.forward(x)));
  assert.equal(dense.namedParameters().map(([p]) => p), ['weight', 'bias']);
  assert.is(new Dense(3, 4, { useBias: false }).parameterCount(), 12);
  await checkLayerGradient(new Dense(3, 2, { activation: 'tanh', seed: 3 }), randn([2, 3], { seed: 4 }));
  assert.throws(() => dense.forward(randn([2, 5])), isLoopError(/^Dense: expected input with last dimension 3, got \[2,5\]/));
});

test('Conv2D: same/valid/strided shapes, gradients, and an error naming the layer path', async () => {
  const x = randn([2, 6, 6, 3], { seed: 1 });
  assert.equal(new Conv2D([3, 3, 3, 5], { padding: 'same' }).forward(x).shape, [2, 6, 6, 5]);
  assert.equal(new Conv2D([3, 3, 3, 5]).forward(x).shape, [2, 4, 4, 5]);
  assert.equal(new Conv2D([3, 3, 3, 5], { strides: 2, padding: 'same' }).forward(x).shape, [2, 3, 3, 5]);
  assert.equal(new Conv2D([3, 3, 3, 5], { dilations: 2 }).forward(x).shape, [2, 2, 2, 5]);
  await checkLayerGradient(new Conv2D([2, 2, 2, 3], { padding: 'same', activation: 'tanh', seed: 5 }), randn([1, 3, 3, 2], { seed: 6 }));
  class Net extends Module {
    conv1 = new Conv2D([5, 5, 3, 6]);
    forward(t: Tensor): Tensor {
      return this.conv1.forward(t);
    }
  }
  const net = new Net();
  net.namedModules();
  assert.throws(() => net.forward(randn([128, 28, 28, 1])), isLoopError(/^conv1 \(Conv2D\): expected input with 3 channels, got \[128,28,28,1\]$/));
});

test('pooling, GlobalAvgPool2D and Flatten: shapes and gradients', async () => {
  const x = randn([2, 4, 4, 3], { seed: 1 });
  assert.equal(new MaxPool2D({ windowSize: 2 }).forward(x).shape, [2, 2, 2, 3]);
  assert.equal(new AvgPool2D({ windowSize: 3, strides: 1, padding: 'same' }).forward(x).shape, [2, 4, 4, 3]);
  assert.equal(new GlobalAvgPool2D().forward(x).shape, [2, 3]);
  assert.equal(new Flatten().forward(x).shape, [2, 48]);
  const small = randn([1, 4, 4, 2], { seed: 9 });
  await checkLayerGradient(new MaxPool2D({ windowSize: 2 }), small);
  await checkLayerGradient(new AvgPool2D({ windowSize: 2, strides: 1 }), small);
  await checkLayerGradient(new GlobalAvgPool2D(), small);
  assert.throws(() => new GlobalAvgPool2D().forward(randn([2, 3])), isLoopError(/GlobalAvgPool2D: expected NHWC input/));
});

test('Sequential: paths, forward, train/eval reach every layer, parameters survive a tidy', async () => {
  const model = tidy(() => new Sequential(new Dense(4, 8, { seed: 1 }), new Activation('gelu'), new Dense(8, 2, { seed: 2 })));
  assert.equal(model.namedParameters().map(([p]) => p), ['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias']);
  assert.is(model.parameterCount(), 4 * 8 + 8 + 8 * 2 + 2);
  assert.equal(model.forward(randn([3, 4])).shape, [3, 2]);
  model.eval();
  assert.ok(model.layers.every((l) => !l.training));
  model.train();
  assert.ok(model.layers.every((l) => l.training));
  await checkLayerGradient(model, randn([2, 4], { seed: 3 }));
  assert.throws(() => model.forward(randn([3, 5])), isLoopError(/^layers\.0 \(Dense\): expected input with last dimension 4/));
  model.dispose();
  assert.ok(model.parameters().every((t) => t.isDisposed));
});

test('initializers: Glorot uniform bounds, He normal scale, seeds reproduce', async () => {
  const g = await glorotUniform([30, 20], { seed: 4 }).data();
  const limit = Math.sqrt(6 / 50);
  assert.ok(g.every((v) => Math.abs(v) <= limit));
  assert.ok(Math.max(...g) > 0.9 * limit, 'uses the whole range');
  assert.equal(await glorotUniform([30, 20], { seed: 4 }).data(), g);
  assert.not.equal(await glorotUniform([30, 20], { seed: 5 }).data(), g);
  const h = await heNormal([3, 3, 16, 32], { seed: 1 }).data();
  const std = Math.sqrt(Array.from(h).reduce((s, v) => s + v * v, 0) / h.length);
  assert.ok(Math.abs(std - Math.sqrt(2 / (3 * 3 * 16))) < 0.01, `std ${std}`);
  assert.throws(() => new Activation('swish' as 'relu'), isLoopError(/unknown activation 'swish'/));
  void tensor;
});

test.run();
