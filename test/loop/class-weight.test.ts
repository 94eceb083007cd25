// The loop option classWeight: training uses softmaxCrossEntropy's weighted mean, the
// validation loss stays plain (as Keras' class_weight), the Keras dict form equals the
// array form, and mistakes are TensorLoopErrors at construction. The expected update is
// worked out by hand (torch is not installed): with zero weights and biases every logit is
// 0, p = ⅓, and the bias gradient is ⅓ − Σ_n w[y_n]·onehot(y_n) / Σ_n w[y_n].

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TensorLoopError } from '../../src/errors.js';
import { meanSquaredError, softmaxCrossEntropy } from '../../src/losses/index.js';
import { keep, tensor, zeros } from '../../src/index.js';
import { SGD } from '../../src/optim/index.js';
import { type LossFunction, TrainingLoop } from '../../src/loop/training-loop.js';
import type { ClassWeight } from '../../src/loop/class-weight.js';
import { assertClose } from '../helpers/assert.js';
import { Linear } from './helpers.js';

const LABELS = [0, 1, 1, 2];
const batch = () => ({ data: keep(tensor(Array.from({ length: 16 }, (_, i) => (i % 5) - 2), { shape: [4, 4] })), label: keep(tensor(LABELS, { dtype: 'int32' })) });

async function trainOnce(classWeight?: ClassWeight) {
  const model = new Linear(4, 3);
  model.weight.assign(zeros([4, 3]));
  const b = batch();
  const losses: Record<string, number> = {};
  const loop = new TrainingLoop({
    training: [[b]],
    validation: [b],
    optimizer: new SGD(model, { learningRate: 1 }),
    lossFunction: softmaxCrossEntropy,
    progress: false,
    ...(classWeight ? { classWeight } : {}),
    callbacks: [{ async onBatchEnd(l) { losses[l.isTraining ? 'training' : 'validation'] = await l.lastStepLoss!.item(); } }],
  });
  await loop.fit(model, { epochs: 1 });
  const expectedValidation = await softmaxCrossEntropy(model.forward(b.data), b.label).item();
  return { bias: Array.from(await model.bias.data()), losses, expectedValidation };
}

test('classWeight weights the training loss as Σ w[y]·l / Σ w[y]; validation stays unweighted', async () => {
  const { bias, losses, expectedValidation } = await trainOnce([1, 5, 2]);
  // Σ w[y] = 1 + 5 + 5 + 2 = 13; bias = −1 · (⅓ − (1, 10, 2)/13)
  assertClose(bias, [1 / 13 - 1 / 3, 10 / 13 - 1 / 3, 2 / 13 - 1 / 3], { atol: 1e-6 });
  assertClose([losses.training!], [Math.log(3)], { rtol: 1e-6 }, 'all logits 0: every row loss is ln 3, whatever the weights');
  assertClose([losses.validation!], [expectedValidation], { rtol: 1e-6 }, 'validation: the plain mean');
  const unweighted = await trainOnce();
  assertClose(unweighted.bias, [1 / 4 - 1 / 3, 2 / 4 - 1 / 3, 1 / 4 - 1 / 3], { atol: 1e-6 }, 'without weights: ⅓ − counts/4');
  const keras = await trainOnce({ 0: 1, 1: 5, 2: 2 });
  assert.equal(keras.bias, bias, "Keras' {class: weight} is the same");
});

test('classWeight mistakes are TensorLoopErrors when the loop is made', () => {
  const model = new Linear(4, 3);
  const make = (classWeight: unknown, lossFunction: LossFunction = softmaxCrossEntropy) => () =>
    new TrainingLoop({ training: [[]], validation: [], optimizer: new SGD(model, { learningRate: 1 }), lossFunction, progress: false, classWeight: classWeight as ClassWeight });
  const fails = (f: () => unknown, pattern: RegExp) => assert.throws(f, (e: Error) => e instanceof TensorLoopError && pattern.test(e.message));
  fails(make({ 0: 1, 2: 3 }), /keys must be the classes 0 … 1, each once; got '2'/);
  fails(make({ a: 1 }), /got 'a'/);
  fails(make([1, -1]), /weight of class 1 must be a finite number ≥ 0, got -1/);
  fails(make([1, NaN]), /class 1 .* got NaN/);
  fails(make([]), /classWeight is empty/);
  fails(make(5), /must be an array or an object/);
  fails(make([1, 2], meanSquaredError), /classWeight needs lossFunction: softmaxCrossEntropy/);
});

test.run();
