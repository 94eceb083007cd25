// The model zoo: each model runs forward and backward, and a few dozen Adam steps on one
// fixed batch drive its loss to a stated fraction of the start (overfitting one batch is
// the classic smoke test of a correct model). Sizes are tiny to keep the suite fast.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randn, randu, tensor, type Tensor } from '../../src/tensor.js';
import { cast, mul } from '../../src/ops/index.js';
import { softmaxCrossEntropy } from '../../src/losses/index.js';
import { GPT, LeNet, MLP, ResNet, TransformerClassifier } from '../../src/models/index.js';
import { TensorLoopError } from '../../src/errors.js';
import { type OverfitResult, overfit } from './overfit.js';

const isLoopError = (pattern: RegExp) => (e: Error) => e instanceof TensorLoopError && pattern.test(e.message);
const labels = (values: number[]): Tensor => tensor(values, { dtype: 'int32' });
function tokens(shape: [number, number], vocabulary: number, seed: number): Tensor {
  return cast(mul(randu(shape, { seed }), vocabulary), 'int32');
}
function assertOverfits({ losses, live, ratio }: OverfitResult, fraction: number): void {
  assert.ok(ratio < fraction, `loss ${losses[0]} → ${losses.at(-1)}, ratio ${ratio} (want < ${fraction})`);
  assert.is(live.at(-1), live[1], 'live tensors stay flat from step 2 on');
}

test('MLP: 30 Adam steps bring the loss below 1% of its start', async () => {
  const model = new MLP({ inputSize: 6, hiddenSizes: [16], outputSize: 3, seed: 1 });
  assert.equal(model.namedParameters().map(([p]) => p), ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']);
  const x = randn([8, 6], { seed: 2 });
  const y = labels([0, 1, 2, 0, 1, 2, 1, 0]);
  assertOverfits(await overfit(model, (m) => softmaxCrossEntropy(m.forward(x), y), 30, 0.05), 0.01);
});

test('LeNet: MNIST-shaped forward [N,28,28,1] → [N,10]; 20 Adam steps reach 1% of the start', async () => {
  const model = new LeNet({ seed: 3 });
  assert.is(model.parameterCount(), 156 + 2416 + 48120 + 10164 + 850);
  const x = randn([4, 28, 28, 1], { seed: 4 });
  assert.equal(model.forward(x).shape, [4, 10]);
  assertOverfits(await overfit(model, (m) => softmaxCrossEntropy(m.forward(x), labels([3, 7, 1, 9])), 20, 3e-3), 0.01);
  assert.throws(() => model.forward(randn([2, 28, 28, 3])), isLoopError(/^conv1 \(Conv2D\): expected input with 1 channels, got \[2,28,28,3\]/));
});

test('ResNet-20 (CIFAR layout) on 8×8 images: structure, and 25 Adam steps reach 1% of the start', async () => {
  const model = new ResNet({ classCount: 4, depth: 20, downsamplingInFirstStage: false, seed: 5 });
  assert.is(model.blocks.length, 9);
  assert.equal(model.blocks.map((b) => b.projection !== undefined), [false, false, false, true, false, false, true, false, false]);
  assert.ok(model.namedState().some(([p]) => p === 'blocks.3.projection.norm.runningMean'));
  const x = randn([4, 8, 8, 3], { seed: 6 });
  assert.equal(model.forward(x).shape, [4, 4]);
  assertOverfits(await overfit(model, (m) => softmaxCrossEntropy(m.forward(x), labels([0, 1, 2, 3])), 25, 1e-2), 0.01);
  model.eval();
  assert.equal(model.forward(x).shape, [4, 4]);
  const stem = new ResNet({ classCount: 10, depth: 56, seed: 1 });
  assert.is(stem.blocks.length, 27);
  assert.equal(stem.stem.conv.weight.shape, [7, 7, 3, 64]);
  assert.throws(() => new ResNet({ classCount: 10, depth: 18 as 20 }), isLoopError(/depth must be 20, 32, 44 or 56/));
});

test('TransformerClassifier: tokens [B,T] → [B,classes]; 30 Adam steps reach 1% of the start', async () => {
  const model = new TransformerClassifier({ vocabularySize: 11, sequenceLength: 6, modelSize: 8, headCount: 2, layerCount: 1, classCount: 2, seed: 7 });
  const x = tokens([6, 5], 11, 8);
  assert.equal(model.forward(x).shape, [6, 2]);
  assertOverfits(await overfit(model, (m) => softmaxCrossEntropy(m.forward(x), labels([0, 1, 1, 0, 1, 0])), 30, 2e-2), 0.01);
  assert.throws(() => model.forward(tokens([2, 7], 11, 1)), isLoopError(/TransformerClassifier: expected int32 tokens \[batch, time ≤ 6\], got \[2,7\]/));
});

test('GPT: tied head, causal, and 30 Adam steps of fixed-target prediction reach 25% of the start', async () => {
  const model = new GPT({ vocabularySize: 13, contextSize: 8, modelSize: 8, headCount: 2, layerCount: 2, seed: 9 });
  assert.ok(!model.namedParameters().some(([p]) => p.includes('head')), 'no separate output matrix');
  const input = tokens([4, 7], 13, 10);
  const target = tokens([4, 7], 13, 11);
  assert.equal(model.forward(input).shape, [4, 7, 13]);
  assertOverfits(await overfit(model, (m) => softmaxCrossEntropy(m.forward(input), target), 30, 2e-2), 0.25);
});

test.run();
