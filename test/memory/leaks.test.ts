// No leaks outside any scope: 1,000 calls of every public op, loss, clipping helper and
// gradient function, with nothing but `dispose()` on what each call returns, leave the live
// tensors, the device's live buffers and bytes (memory()) and, on WebGPU, the GPU buffers
// handed out by the pool exactly where the first call left them; and the pool (buffers
// handed out plus kept for reuse) stops growing. On every device.
//
// The calls run synchronously in stretches, the event loop turning between stretches: the
// FinalizationRegistry that frees forgotten tensors runs only when the event loop turns, so
// it cannot hide a leak from the counts taken at the end of a stretch (and on WebGPU, Dawn
// frees finished work only when the event loop turns).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Device } from '../../src/device/device.js';
import type { WebGpuDevice } from '../../src/device/webgpu.js';
import * as tl from '../../src/index.js';
import { type Tensor, liveTensorCount } from '../../src/tensor.js';
import { testDevices } from '../helpers/devices.js';

const CALLS = 1000;
/** Calls between turns of the event loop. */
const STRETCH = 250;
/** The pool may grow over the first calls (frees wait for the next submit, and where a call
 * falls in a batch of dispatches repeats within a few dozen calls); from here on, never. */
const WARM_CALLS = 100;

interface Counts {
  tensors: number;
  buffers: number;
  bytes: number;
  /** WebGPU: buffers the pool handed out, and those plus the ones kept for reuse. */
  gpuLive: number;
  gpuTotal: number;
}

function counts(device: Device): Counts {
  const { buffers, bytes } = device.memory();
  const pool = device.kind === 'webgpu' ? (device as WebGpuDevice).poolStats() : { liveBuffers: 0, pooledBuffers: 0 };
  return { tensors: liveTensorCount(device), buffers, bytes, gpuLive: pool.liveBuffers, gpuTotal: pool.liveBuffers + pool.pooledBuffers };
}

/** Disposes every tensor in a result (a tensor, an array, a Map, or nested ones). */
function disposeAll(value: unknown): void {
  if (value instanceof tl.Tensor) value.dispose();
  else if (Array.isArray(value)) value.forEach(disposeAll);
  else if (value instanceof Map) [...value.values()].forEach(disposeAll);
}

/** The inputs every case draws from, made once per device (odd sizes on purpose). */
function makeInputs(device: Device) {
  return {
    x: tl.randn([3, 5], { seed: 1, device }),
    y: tl.randn([3, 5], { seed: 2, device }),
    positive: tl.randu([3, 5], { seed: 3, device, low: 0.5, high: 2 }),
    row: tl.randn([5], { seed: 4, device }),
    column: tl.randn([3, 1], { seed: 10, device }),
    square: tl.randn([5, 5], { seed: 5, device }),
    images: tl.randn([2, 5, 5, 3], { seed: 6, device }),
    filter: tl.randn([3, 3, 3, 4], { seed: 7, device }),
    labels: tl.tensor([0, 4, 2], { dtype: 'int32', device }),
    probabilities: tl.softmax(tl.randn([3, 5], { seed: 8, device })),
    zeroOne: tl.tensor([[0, 1, 1, 0, 1], [1, 0, 0, 0, 1], [0, 0, 1, 1, 0]], { device }),
    indices: tl.tensor([2, 0, 2, 1], { dtype: 'int32', device }),
    mask: tl.greater(tl.randn([3, 5], { seed: 9, device }), 0),
  };
}
type Inputs = ReturnType<typeof makeInputs>;

const sumOf = (t: Tensor): Tensor => tl.sum(t);

/** Every public op once, on small inputs. */
const OPS: [string, (i: Inputs) => unknown][] = [
  ...(['neg', 'abs', 'sign', 'exp', 'square', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'softplus', 'erf', 'gelu', 'sin', 'cos'] as const).map(
    (name): [string, (i: Inputs) => unknown] => [name, (i) => tl[name](i.x)],
  ),
  ...(['log', 'sqrt', 'rsqrt'] as const).map((name): [string, (i: Inputs) => unknown] => [name, (i) => tl[name](i.positive)]),
  ...(['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual'] as const).map(
    (name): [string, (i: Inputs) => unknown] => [name, (i) => tl[name](i.x, i.row)],
  ),
  ['add a number', (i) => tl.add(i.x, 2)],
  ['pow', (i) => tl.pow(i.positive, i.y)],
  ['where', (i) => tl.where(i.mask, i.x, 0)],
  ['cast', (i) => tl.cast(i.x, 'int32')],
  ['clip', (i) => tl.clip(i.x, -0.5, 0.5)],
  ['matmul', (i) => tl.matmul(i.x, i.square)],
  ['matmul transposed', (i) => tl.matmul(i.x, i.y, { transposeB: true })],
  ['reshape', (i) => tl.reshape(i.x, [5, 3])],
  ['transpose', (i) => tl.transpose(i.x)],
  ['broadcastTo', (i) => tl.broadcastTo(i.row, [4, 5])],
  ['slice', (i) => tl.slice(i.x, [1, 1], [2, 3])],
  ['pad', (i) => tl.pad(i.x, [[1, 0], [0, 2]])],
  ['concat', (i) => tl.concat([i.x, i.y], 1)],
  ['stack', (i) => tl.stack([i.x, i.y])],
  ['expandDims', (i) => tl.expandDims(i.x, 1)],
  ['squeeze', (i) => tl.squeeze(i.column)],
  ['flatten', (i) => tl.flatten(i.images)],
  ['gather', (i) => tl.gather(i.x, i.indices, 1)],
  ['oneHot', (i) => tl.oneHot(i.labels, 5)],
  ['softmax', (i) => tl.softmax(i.x)],
  ['logSoftmax', (i) => tl.logSoftmax(i.x)],
  ['logSumExp', (i) => tl.logSumExp(i.x)],
  ['dropout', (i) => tl.dropout(i.x, 0.5, { seed: 1 })],
  ['sum', (i) => tl.sum(i.x, 1)],
  ['max', (i) => tl.max(i.x, 0)],
  ['min', (i) => tl.min(i.x)],
  ['mean', (i) => tl.mean(i.x, 0, { keepDims: true })],
  ['argmax', (i) => tl.argmax(i.x)],
  ['argmin', (i) => tl.argmin(i.x, 0)],
  ['biasActivation', (i) => tl.biasActivation(i.x, i.row, 'relu')],
  ['conv2d', (i) => tl.conv2d(i.images, i.filter, { padding: 'same' })],
  ['conv2d strided', (i) => tl.conv2d(i.images, i.filter, { strides: 2 })],
  ['maxPool2d', (i) => tl.maxPool2d(i.images, { windowSize: 2 })],
  ['avgPool2d', (i) => tl.avgPool2d(i.images, { windowSize: 3, strides: 2, padding: 'same' })],
  ['softmaxCrossEntropy with class labels', (i) => tl.softmaxCrossEntropy(i.x, i.labels)],
  ['softmaxCrossEntropy with probabilities', (i) => tl.softmaxCrossEntropy(i.x, i.probabilities, { labelSmoothing: 0.1 })],
  ['sigmoidCrossEntropy', (i) => tl.sigmoidCrossEntropy(i.x, i.zeroOne)],
  ['meanSquaredError', (i) => tl.meanSquaredError(i.x, i.y)],
  ['meanAbsoluteError', (i) => tl.meanAbsoluteError(i.x, i.y)],
  ['clipByValue', (i) => tl.clipByValue(new Map([['a', i.x]]), 0.5)],
  ['globalNorm', (i) => tl.globalNorm(new Map([['a', i.x], ['b', i.row]]))],
  ['clipByGlobalNorm', (i) => tl.clipByGlobalNorm(new Map([['a', i.x], ['b', i.row]]), 0.5)],
];

/** The gradient functions, each through ops whose backward rules differ. */
const GRADIENTS: [string, (i: Inputs) => unknown][] = [
  ['grad (the README example)', (i) => tl.grad((t) => tl.sum(tl.square(t)))(i.x)],
  ['grad of two arguments, broadcast', (i) => tl.grad((a, b) => tl.sum(tl.mul(tl.tanh(a), b)))(i.x, i.row)],
  ['valueAndGrad of a softmax', (i) => tl.valueAndGrad((t) => tl.sum(tl.mul(tl.softmax(t), i.y)))(i.x)],
  ['valueAndGrad of max, min and a gather', (i) => tl.valueAndGrad((t) => tl.add(tl.sum(tl.max(t, 1)), tl.sum(tl.gather(tl.min(t, 0), i.indices))))(i.x)],
  ['valueAndGrad of matmul, slice, concat and pad', (i) =>
    tl.valueAndGrad((t) => tl.sum(tl.pad(tl.concat([tl.slice(tl.matmul(t, i.square), [0, 1], [3, 2]), t], 1), [[1, 1], [0, 0]])))(i.x)],
  ['grad of conv2d and max pooling', (i) => tl.grad((im, w) => tl.sum(tl.maxPool2d(tl.conv2d(im, w, { padding: 'same' }), { windowSize: 2 })))(i.images, i.filter)],
  ['grad of biasActivation', (i) => tl.grad((a, b) => tl.sum(tl.square(tl.biasActivation(a, b, 'relu'))))(i.x, i.row)],
  ['grad of avg pooling', (i) => tl.grad((im) => sumOf(tl.avgPool2d(im, { windowSize: 2 })))(i.images)],
  ['grad of softmaxCrossEntropy', (i) => tl.grad((t) => tl.softmaxCrossEntropy(t, i.labels))(i.x)],
  ['grad of sigmoidCrossEntropy and meanSquaredError', (i) => tl.grad((t) => tl.add(tl.sigmoidCrossEntropy(t, i.zeroOne), tl.meanSquaredError(t, i.y)))(i.x)],
  ['grad of pow, where and div', (i) => tl.grad((a) => tl.sum(tl.where(i.mask, tl.pow(a, 2), tl.div(i.x, a))))(i.positive)],
];

for (const device of await testDevices()) {
  const inputs = makeInputs(device);
  const model = new tl.MLP({ inputSize: 5, hiddenSizes: [4], outputSize: 5, seed: 1, device });
  const withModel: [string, (i: Inputs) => unknown][] = [
    ['valueWithGradient of an MLP', (i) => tl.valueWithGradient(model, (m) => tl.softmaxCrossEntropy(m.forward(i.x), i.labels))],
  ];

  for (const [name, call] of [...OPS, ...GRADIENTS, ...withModel]) {
    test(`${device.name}: ${CALLS} calls of ${name} outside any scope leave tensors and buffers flat`, async () => {
      disposeAll(call(inputs));
      const first = counts(device);
      let warm = first;
      for (let done = 1; done < CALLS; ) {
        await new Promise((resolve) => setImmediate(resolve));
        const start = counts(device); // the GC may have freed other suites' tensors meanwhile
        const end = Math.min(CALLS, done + STRETCH);
        for (; done < end; done++) {
          disposeAll(call(inputs));
          if (done + 1 === WARM_CALLS) warm = counts(device);
        }
        const now = counts(device);
        for (const key of ['tensors', 'buffers', 'bytes', 'gpuLive'] as const) {
          if (now[key] !== start[key]) assert.unreachable(`${key} went from ${start[key]} to ${now[key]} over calls ${end - STRETCH + 1}..${end} (after call 1: ${JSON.stringify(first)})`);
        }
      }
      const last = counts(device);
      assert.ok(last.gpuTotal <= warm.gpuTotal, `the pool grew from ${warm.gpuTotal} buffers after call ${WARM_CALLS} to ${last.gpuTotal}`);
    });
  }
}

test.run();
