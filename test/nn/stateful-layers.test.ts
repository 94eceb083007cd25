// BatchNorm, LayerNorm, Dropout (train vs eval), Embedding and MultiHeadAttention:
// behaviour, gradient checks and errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromData, randn, tensor } from '../../src/tensor.js';
import { mean, square, sub } from '../../src/ops/index.js';
import { TensorLoopError } from '../../src/errors.js';
import { BatchNorm, Dropout, Embedding, LayerNorm, MultiHeadAttention } from '../../src/nn/index.js';
import { assertClose, assertTensorClose } from '../helpers/assert.js';
import { checkLayerGradient } from './layer-gradient.js';

const isLoopError = (pattern: RegExp) => (e: Error) => e instanceof TensorLoopError && pattern.test(e.message);

test('BatchNorm in training: batch statistics, running averages with momentum; eval uses them', async () => {
  const bn = new BatchNorm(2, { momentum: 0.9, epsilon: 1e-5 });
  const x = tensor([[[[1, 10]], [[3, 20]]], [[[5, 30]], [[7, 40]]]]); // [2,2,1,2]
  const y = bn.forward(x);
  await assertTensorClose(mean(y, [0, 1, 2]), [0, 0], { atol: 1e-5 });
  await assertTensorClose(mean(square(y), [0, 1, 2]), [1, 1], { atol: 1e-3 });
  // batch means 4 and 25, biased variances 5 and 125
  assertClose(await bn.runningMean.data(), [0.4, 2.5], { atol: 1e-6 });
  assertClose(await bn.runningVariance.data(), [0.9 + 0.5, 0.9 + 12.5], { atol: 1e-5 });
  assert.equal(bn.namedParameters().map(([p]) => p), ['scale', 'offset']);
  assert.equal(bn.namedState().map(([p]) => p), ['runningMean', 'runningVariance']);
  bn.eval();
  const z = await bn.forward(x).data();
  assertClose(z, [(1 - 0.4) / Math.sqrt(1.4 + 1e-5), (10 - 2.5) / Math.sqrt(13.4 + 1e-5)].concat([...z].slice(2)), { atol: 1e-5 });
  assertClose(await bn.runningMean.data(), [0.4, 2.5], { atol: 1e-6 }, 'eval leaves running stats alone');
  bn.train();
  await checkLayerGradient(new BatchNorm(3), randn([4, 3], { seed: 2 }), { tolerance: { atol: 5e-3 } });
  assert.throws(() => bn.forward(randn([4, 3])), isLoopError(/BatchNorm: expected input with 2 features/));
});

test('LayerNorm normalizes each row; gradients', async () => {
  const ln = new LayerNorm(4);
  const y = ln.forward(randn([3, 4], { seed: 1, std: 5, mean: 2 }));
  await assertTensorClose(mean(y, -1), [0, 0, 0], { atol: 1e-5 });
  await assertTensorClose(mean(square(y), -1), [1, 1, 1], { atol: 1e-3 });
  await checkLayerGradient(new LayerNorm(4), randn([2, 4], { seed: 3 }), { tolerance: { atol: 5e-3 } });
});

test('Dropout: drops about `rate` and rescales in training, identity in eval, fresh masks per call', async () => {
  const drop = new Dropout(0.25, { seed: 7 });
  const x = randn([4000], { seed: 1, mean: 3, std: 0.1 });
  const a = await drop.forward(x).data();
  const xs = await x.data();
  const zeros = a.filter((v) => v === 0).length / a.length;
  assert.ok(Math.abs(zeros - 0.25) < 0.03, `dropped ${zeros}`);
  a.forEach((v, i) => v !== 0 && assertClose([v], [xs[i]! / 0.75], { atol: 1e-5 }));
  const b = await drop.forward(x).data();
  assert.not.equal(a, b, 'a new mask each call');
  assert.equal(await new Dropout(0.25, { seed: 7 }).forward(x).data(), a, 'reproducible from the seed');
  drop.eval();
  assert.is(drop.forward(x), x);
  assert.throws(() => new Dropout(1), isLoopError(/rate/));
});

test('Embedding: lookup, scatter gradient, an index outside the table is an error naming it', async () => {
  const emb = new Embedding(5, 3, { seed: 1 });
  const ids = tensor([[0, 4], [4, 2]], { dtype: 'int32' });
  const y = emb.forward(ids);
  assert.equal(y.shape, [2, 2, 3]);
  const table = await emb.weight.data();
  assertClose((await y.data()).slice(3, 6), table.slice(12, 15));
  await checkLayerGradient(emb, ids, { differentiateInput: false });
  assert.throws(() => emb.forward(tensor([5], { dtype: 'int32' })), isLoopError(/gather: index 5 at position 0 is outside \[0, 5\) for axis 0 of \[5,3\]/));
  assert.throws(() => emb.forward(tensor([1])), isLoopError(/int32/));
});

test('MultiHeadAttention: shapes, gradients, and a causal mask that hides the future', async () => {
  const attn = new MultiHeadAttention(8, 2, { seed: 1 });
  assert.equal(attn.forward(randn([2, 5, 8])).shape, [2, 5, 8]);
  assert.equal(attn.namedParameters().length, 8);
  await checkLayerGradient(new MultiHeadAttention(4, 2, { causal: true, seed: 2 }), randn([1, 3, 4], { seed: 3 }), { tolerance: { atol: 5e-3 } });
  const causal = new MultiHeadAttention(4, 2, { causal: true, seed: 3 });
  const base = await randn([1, 4, 4], { seed: 4 }).data();
  const changed = Float32Array.from(base);
  for (let i = 12; i < 16; i++) changed[i] = changed[i]! + 5; // change the last position only
  const ya = await causal.forward(fromData(base, [1, 4, 4])).data();
  const yb = await causal.forward(fromData(changed, [1, 4, 4])).data();
  assertClose(yb.slice(0, 12), ya.slice(0, 12), { atol: 1e-6 }, 'earlier positions');
  assert.ok(Math.abs(yb[12]! - ya[12]!) > 1e-4, 'the last position did change');
  const open = new MultiHeadAttention(4, 2, { seed: 3 });
  const oa = await open.forward(fromData(base, [1, 4, 4])).data();
  const ob = await open.forward(fromData(changed, [1, 4, 4])).data();
  assert.ok(Math.abs(ob[0]! - oa[0]!) > 1e-5, 'without the mask the future leaks back');
  assert.throws(() => new MultiHeadAttention(6, 4), isLoopError(/multiple of headCount/));
  assert.throws(() => attn.forward(randn([2, 8])), isLoopError(/expected input \[batch, time, 8\]/));
  void sub;
});

test.run();
