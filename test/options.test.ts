// Options objects reject keys their callee does not know (a misspelt `learningrate` would
// otherwise be ignored and the default used): a TensorLoopError naming the callee and the
// unknown key, listing the accepted ones, thrown before anything is made.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TensorLoopError } from '../src/errors.js';
import { checkOptions } from '../src/options.js';
import { tensor } from '../src/tensor.js';
import { Adam, AdamW, RMSProp, SGD } from '../src/optim/index.js';
import { TrainingLoop } from '../src/loop/training-loop.js';
import { CSVLogger } from '../src/loop/callbacks/csv-logger.js';
import { ProgressPrinter } from '../src/loop/callbacks/progress-printer.js';
import { ScheduleSegment, linear, makeSchedule } from '../src/loop/callbacks/learning-rate-schedule.js';
import { learningRateScheduler } from '../src/loop/callbacks/learning-rate-scheduler.js';
import { tensorBoardStatisticsLogger } from '../src/loop/callbacks/tensorboard.js';
import { softmaxCrossEntropy } from '../src/losses/index.js';
import { Conv2D, Dense, Dropout, Embedding, BatchNorm, LayerNorm, MaxPool2D, MultiHeadAttention, glorotUniform, zerosInit } from '../src/nn/index.js';
import { GPT, LeNet, MLP, ResNet, TransformerBlock, TransformerClassifier } from '../src/models/index.js';
import { CIFAR10, ImageSamples, MNIST, TrainingEpochs } from '../src/data/index.js';
import { arange, full, ones, randn, randu, scalar, zeros } from '../src/tensor.js';
import { argmax, argmin, avgPool2d, conv2d, dropout, matmul, max, maxPool2d, mean, min, sum } from '../src/ops/index.js';
import { Device } from '../src/device/index.js';

/** Runs `make` (any options typing bypassed, as plain JavaScript would) and checks the error. */
function rejects(make: () => unknown, owner: string, key: string, accepted: string[]): void {
  try {
    make();
  } catch (error) {
    assert.instance(error, TensorLoopError, String(error));
    const message = (error as Error).message;
    assert.ok(message.startsWith(`${owner}: unknown option '${key}'`), message);
    for (const name of accepted) assert.ok(message.includes(name), `${message} lists ${name}`);
    return;
  }
  assert.unreachable(`${owner} accepted the unknown option '${key}'`);
}

const loose = (o: object): any => o;

test('checkOptions: accepts known keys, undefined values and no options at all', () => {
  const options = { a: 1, b: undefined };
  assert.is(checkOptions('f', options, ['a', 'b']), options);
  assert.is(checkOptions('f', undefined as { a?: number } | undefined, ['a']), undefined);
});

test('checkOptions: an unknown key names the callee, the key, a likely meaning and the accepted keys', () => {
  assert.throws(() => checkOptions('SGD', loose({ learningrate: 0.1 }), ['learningRate', 'momentum']),
    (e: Error) => e instanceof TensorLoopError && e.message === "SGD: unknown option 'learningrate' (did you mean 'learningRate'?); the accepted options are learningRate, momentum");
  assert.throws(() => checkOptions('f', loose({ zzz: 1 }), ['alpha']), (e: Error) => e.message === "f: unknown option 'zzz'; the accepted options are alpha");
  assert.throws(() => checkOptions('f', loose({ mommentum: 1 }), ['momentum', 'rho']), /did you mean 'momentum'/);
});

test('checkOptions: options that are not an object are an error', () => {
  for (const bad of [0.1, 'fast', null, [1], () => 1]) {
    assert.throws(() => checkOptions('SGD', loose(bad as object), ['learningRate']), (e: Error) => e instanceof TensorLoopError && /^SGD: options must be an object \{learningRate\}, got/.test(e.message));
  }
});

test('optimizers reject unknown options', () => {
  const model = { parameters: { w: tensor([1, 2]) } };
  const source = { namedParameters: () => Object.entries(model.parameters) } as any;
  rejects(() => new SGD(source, loose({ learningrate: 0.1 })), 'SGD', 'learningrate', ['learningRate', 'momentum', 'nesterov', 'weightDecay']);
  rejects(() => new Adam(source, loose({ beta: 0.9 })), 'Adam', 'beta', ['beta1', 'beta2', 'epsilon']);
  rejects(() => new AdamW(source, loose({ decay: 0.1 })), 'AdamW', 'decay', ['weightDecay']);
  rejects(() => new RMSProp(source, loose({ learning_rate: 0.1 })), 'RMSProp', 'learning_rate', ['learningRate', 'rho', 'epsilon', 'momentum', 'centered']);
  assert.throws(() => new SGD(source, loose(0.1 as unknown as object)), /SGD: options must be an object/);
});

test('the loop and its callbacks reject unknown options', async () => {
  const base = { training: [[]], validation: [], optimizer: { update() {}, learningRate: 0.1 }, lossFunction: softmaxCrossEntropy };
  rejects(() => new TrainingLoop(loose({ ...base, metric: ['accuracy'] })), 'TrainingLoop', 'metric', ['metrics', 'callbacks']);
  const loop = new TrainingLoop(loose({ ...base, progress: false }));
  let error: unknown;
  await loop.fit(loose({ forward: (x: unknown) => x }), loose({ epochs: 1, epoch: 3 })).catch((e: unknown) => (error = e));
  assert.instance(error, TensorLoopError);
  assert.match((error as Error).message, /^TrainingLoop\.fit: unknown option 'epoch' \(did you mean 'epochs'\?\)/);
  rejects(() => new ProgressPrinter(loose({ barlength: 10 })), 'ProgressPrinter', 'barlength', ['barLength']);
  rejects(() => new TrainingLoop(loose({ ...base, progress: { width: 80 } })), 'ProgressPrinter', 'width', ['barLength']);
  rejects(() => new CSVLogger(loose({ file: 'x.csv' })), 'CSVLogger', 'file', ['path']);
  rejects(() => new ScheduleSegment(loose({ shape: linear, endRate: 0, steps: 3 })), 'ScheduleSegment', 'steps', ['stepCount']);
  rejects(() => learningRateScheduler(loose({ schedule: makeSchedule([new ScheduleSegment({ shape: linear, endRate: 0 })]), beta: 1 })), 'learningRateScheduler', 'beta', ['biasCorrectionBeta']);
  rejects(() => tensorBoardStatisticsLogger(loose({ logDir: 'x' })), 'tensorBoardStatisticsLogger', 'logDir', ['logdir', 'runName']);
});

test('layers and initializers reject unknown options', () => {
  rejects(() => new Dense(2, 3, loose({ bias: false })), 'Dense', 'bias', ['useBias', 'activation']);
  rejects(() => new Conv2D([3, 3, 1, 2], loose({ stride: 2 })), 'Conv2D', 'stride', ['strides', 'padding']);
  rejects(() => new Embedding(10, 4, loose({ init: glorotUniform })), 'Embedding', 'init', ['initializer']);
  rejects(() => new MultiHeadAttention(4, 2, loose({ masked: true })), 'MultiHeadAttention', 'masked', ['causal']);
  rejects(() => new Dropout(0.5, loose({ rate: 0.1 })), 'Dropout', 'rate', ['seed']);
  rejects(() => new BatchNorm(4, loose({ eps: 1e-5 })), 'BatchNorm', 'eps', ['epsilon', 'momentum']);
  rejects(() => new LayerNorm(4, loose({ eps: 1e-5 })), 'LayerNorm', 'eps', ['epsilon']);
  rejects(() => new MaxPool2D(loose({ windowSize: 2, stride: 2 })), 'MaxPool2D', 'stride', ['windowSize', 'strides']);
  rejects(() => glorotUniform([2, 2], loose({ sed: 1 })), 'glorotUniform', 'sed', ['seed', 'device']);
  rejects(() => zerosInit([2], loose({ dtype: 'int32' })), 'zerosInit', 'dtype', ['device']);
});

test('models reject unknown options, and missing options are a TensorLoopError', () => {
  rejects(() => new LeNet(loose({ classes: 3 })), 'LeNet', 'classes', ['classCount']);
  rejects(() => new MLP(loose({ inputSize: 2, hiddenSizes: [], outputSize: 1, activations: 'relu' })), 'MLP', 'activations', ['activation']);
  rejects(() => new ResNet(loose({ classCount: 10, depth: 'resNet18', channels: 1 })), 'ResNet', 'channels', ['inputChannels']);
  rejects(() => new GPT(loose({ vocabularySize: 8, contextSize: 4, modelSize: 4, headCount: 1, layerCount: 1, dropout: 0.1 })), 'GPT', 'dropout', ['layerCount']);
  rejects(() => new TransformerBlock(loose({ modelSize: 4, headCount: 1, heads: 2 })), 'TransformerBlock', 'heads', ['headCount']);
  rejects(() => new TransformerClassifier(loose({ vocabularySize: 8, sequenceLength: 4, modelSize: 4, headCount: 1, layerCount: 1, classCount: 2, classes: 2 })), 'TransformerClassifier', 'classes', ['classCount']);
  assert.throws(() => new MLP(loose({ inputSize: 2, outputSize: 1 })), (e: Error) => e instanceof TensorLoopError && /^MLP: hiddenSizes must be an array/.test(e.message));
  assert.throws(() => new Conv2D(loose(null as unknown as object)), (e: Error) => e instanceof TensorLoopError && /^Conv2D: filterShape must be/.test(e.message));
  assert.throws(() => new GPT(loose(undefined as unknown as object)), (e: Error) => e instanceof TensorLoopError && /^GPT: options \{vocabularySize, .*\} are required/.test(e.message));
  assert.throws(() => new MNIST(loose(undefined as unknown as object)), (e: Error) => e instanceof TensorLoopError && /^MNIST: options/.test(e.message));
});

test('datasets reject unknown options before reading any file', () => {
  rejects(() => new MNIST(loose({ batchSize: 8, batch_size: 8 })), 'MNIST', 'batch_size', ['batchSize', 'path']);
  rejects(() => new CIFAR10(loose({ batchSize: 8, path: '/nonexistent', normalize: true })), 'CIFAR10', 'normalize', ['normalizing']);
  const samples = new ImageSamples(new Uint8Array(4), new Uint8Array(4), [1], loose({}));
  rejects(() => new TrainingEpochs(samples, loose({ batchSize: 2, shuffle: false })), 'TrainingEpochs', 'shuffle', ['batchSize', 'seed']);
  rejects(() => new ImageSamples(new Uint8Array(4), new Uint8Array(4), [1], loose({}), loose({ mean: [0] })), 'ImageSamples', 'mean', ['normalization']);
});

test('creation functions reject unknown options', () => {
  rejects(() => tensor([1, 2], loose({ dtpye: 'int32' })), 'tensor', 'dtpye', ['shape', 'dtype', 'device']);
  rejects(() => scalar(1, loose({ shape: [1] })), 'scalar', 'shape', ['dtype', 'device']);
  rejects(() => zeros([2], loose({ type: 'int32' })), 'zeros', 'type', ['dtype']);
  rejects(() => ones([2], loose({ type: 'int32' })), 'ones', 'type', ['dtype']);
  rejects(() => full([2], 1, loose({ type: 'int32' })), 'full', 'type', ['dtype']);
  rejects(() => arange(0, 4, 1, loose({ type: 'int32' })), 'arange', 'type', ['dtype']);
  rejects(() => randn([2], loose({ low: -1 })), 'randn', 'low', ['seed', 'mean', 'std']);
  rejects(() => randu([2], loose({ std: 2 })), 'randu', 'std', ['seed', 'low', 'high']);
});

test('ops and Device.webgpu reject unknown options', async () => {
  const m = tensor([[1, 2], [3, 4]]);
  const image = zeros([1, 4, 4, 1]);
  rejects(() => matmul(m, m, loose({ transpose: true })), 'matmul', 'transpose', ['transposeA', 'transposeB']);
  rejects(() => conv2d(image, zeros([2, 2, 1, 1]), loose({ stride: 2 })), 'conv2d', 'stride', ['strides', 'padding', 'dilations']);
  rejects(() => maxPool2d(image, loose({ windowSize: 2, pad: 'same' })), 'maxPool2d', 'pad', ['windowSize', 'strides', 'padding']);
  rejects(() => avgPool2d(image, loose({ window: 2 })), 'avgPool2d', 'window', ['windowSize']);
  assert.throws(() => maxPool2d(image, loose(undefined as unknown as object)), /^maxPool2d: options \{windowSize, strides, padding\} are required/);
  rejects(() => dropout(m, 0.5, loose({ rate: 0.5 })), 'dropout', 'rate', ['seed']);
  for (const [name, op] of [['sum', sum], ['max', max], ['min', min], ['mean', mean]] as const) {
    rejects(() => op(m, 0, loose({ keepdims: true })), name, 'keepdims', ['keepDims']);
    assert.throws(() => op(m, 0, loose(true as unknown as object)), new RegExp(`^${name}: options must be an object`));
  }
  rejects(() => argmax(m, 0, loose({ keepdim: true })), 'argmax', 'keepdim', ['keepDims']);
  rejects(() => argmin(m, 0, loose({ keepdim: true })), 'argmin', 'keepdim', ['keepDims']);
  rejects(() => softmaxCrossEntropy(m, tensor([0, 1], { dtype: 'int32' }), loose({ smoothing: 0.1 })), 'softmaxCrossEntropy', 'smoothing', ['labelSmoothing']);
  let error: unknown;
  await Device.webgpu(loose({ flags: [] })).catch((e: unknown) => (error = e));
  assert.instance(error, TensorLoopError);
  assert.match((error as Error).message, /^Device\.webgpu: unknown option 'flags'/);
});

test.run();
