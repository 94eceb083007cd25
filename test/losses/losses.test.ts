// Losses: the fused softmaxCrossEntropy held to its composite definition (forward and
// gradient), its stability and label checks; the composite losses against hand values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Tensor, randn, tensor } from '../../src/tensor.js';
import { mean, mul, neg, oneHot, softmax, logSoftmax, sub, sum, add, div } from '../../src/ops/index.js';
import { grad } from '../../src/autodiff/gradients.js';
import { meanAbsoluteError, meanSquaredError, sigmoidCrossEntropy, softmaxCrossEntropy } from '../../src/losses/index.js';
import { TensorLoopError } from '../../src/errors.js';
import { assertClose, assertTensorClose, checkGradient } from '../helpers/assert.js';

/** The definition: −mean_n Σ_c t_{n,c} · logSoftmax(x)_{n,c}, t smoothed. */
function composite(logits: Tensor, target: Tensor, eps = 0): Tensor {
  const classes = logits.shape[logits.rank - 1]!;
  const t = add(mul(target, 1 - eps), eps / classes);
  return neg(mean(sum(mul(t, logSoftmax(logits)), -1)));
}

const logits = randn([5, 4], { seed: 11, std: 3 });
const labels = tensor([0, 3, 1, 1, 2], { dtype: 'int32' });
const probabilities = softmax(randn([5, 4], { seed: 12 }));
const isLoopError = (pattern: RegExp) => (e: Error) => e instanceof TensorLoopError && pattern.test(e.message);

test('fused forward and gradient equal the composite (int labels, probabilities, label smoothing)', async () => {
  for (const eps of [0, 0.1]) {
    for (const [target, dense] of [[labels, oneHot(labels, 4)], [probabilities, probabilities]] as const) {
      await assertTensorClose(softmaxCrossEntropy(logits, target, { labelSmoothing: eps }), composite(logits, dense, eps), { atol: 1e-5 });
      const [fused] = grad((x) => softmaxCrossEntropy(x, target, { labelSmoothing: eps }))(logits);
      const [reference] = grad((x) => composite(x, dense, eps))(logits);
      await assertTensorClose(fused!, reference!, { atol: 1e-6 }, `eps ${eps} ${target.dtype}`);
    }
  }
});

test('the gradient is (softmax − onehot) / N', async () => {
  const [g] = grad((x) => softmaxCrossEntropy(x, labels))(logits);
  await assertTensorClose(g!, div(sub(softmax(logits), oneHot(labels, 4)), 5), { atol: 1e-7 });
});

test('finite differences agree, through leading batch axes too', async () => {
  const x = randn([2, 3, 4], { seed: 3 });
  const y = tensor([[0, 1, 3], [2, 2, 0]], { dtype: 'int32' });
  await checkGradient((a) => softmaxCrossEntropy(a, y, { labelSmoothing: 0.2 }), [x]);
});

test('stable for logits of ±1e4', async () => {
  const big = tensor([[1e4, -1e4, 0], [-1e4, 1e4, 1e4]]);
  const loss = await softmaxCrossEntropy(big, tensor([0, 0], { dtype: 'int32' })).item();
  // row 0: 0; row 1: lse = 1e4 + log 2, minus x_0 = −1e4 → 2e4 + log 2
  assertClose([loss], [(0 + 2e4 + Math.LN2) / 2], { rtol: 1e-6 });
  const [g] = grad((x) => softmaxCrossEntropy(x, tensor([0, 0], { dtype: 'int32' })))(big);
  assertClose(await g!.data(), [0, 0, 0, -0.5, 0.25, 0.25], { atol: 1e-6 });
});

test('a label outside [0, classes) or of the wrong shape is a TensorLoopError', () => {
  assert.throws(() => softmaxCrossEntropy(logits, tensor([0, 4, 1, 1, 2], { dtype: 'int32' })), isLoopError(/label 4 at position 1 is outside \[0, 4\)/));
  assert.throws(() => softmaxCrossEntropy(logits, tensor([0, -1, 1, 1, 2], { dtype: 'int32' })), isLoopError(/label -1/));
  assert.throws(() => softmaxCrossEntropy(logits, tensor([0, 1], { dtype: 'int32' })), isLoopError(/\[5\].*\[2\]/));
  assert.throws(() => softmaxCrossEntropy(logits, randn([5, 3])), isLoopError(/probabilities/));
  assert.throws(() => softmaxCrossEntropy(logits, labels, { labelSmoothing: 1 }), isLoopError(/labelSmoothing/));
});

test('sigmoidCrossEntropy matches −z log σ − (1−z) log(1−σ) and stays finite at ±1e4', async () => {
  const x = [-2, 0.5, 3, 0];
  const z = [0, 1, 0.25, 1];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const want = x.reduce((s, v, i) => s - z[i]! * Math.log(sig(v)) - (1 - z[i]!) * Math.log(1 - sig(v)), 0) / 4;
  assertClose([await sigmoidCrossEntropy(tensor(x), tensor(z)).item()], [want], { atol: 1e-6 });
  assertClose([await sigmoidCrossEntropy(tensor([1e4, -1e4]), tensor([0, 0])).item()], [5e3], { rtol: 1e-6 });
  await checkGradient((a) => sigmoidCrossEntropy(a, tensor([[0, 1, 0.3]])), [tensor([[-1.2, 0.4, 2.1]])]);
});

test('meanSquaredError and meanAbsoluteError; shapes must match exactly', async () => {
  const p = tensor([[1, 2], [3, 4]]);
  const y = tensor([[0, 2], [5, 3]]);
  assertClose([await meanSquaredError(p, y).item()], [(1 + 0 + 4 + 1) / 4]);
  assertClose([await meanAbsoluteError(p, y).item()], [(1 + 0 + 2 + 1) / 4]);
  await checkGradient((a) => meanSquaredError(a, y), [p]);
  assert.throws(() => meanSquaredError(tensor([[1], [2]]), tensor([1, 2])), isLoopError(/meanSquaredError: predictions \[2,1\] and labels \[2\]/));
});

test.run();
