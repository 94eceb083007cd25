// Errors a WebGPU kernel can only find while it runs (a gather index out of range, a class
// label outside [0, C)) are deferred: the op returns at once and the kernel records what it
// found. Such an error names the op that caused it, is thrown by the first read after the
// op (whatever tensor it reads) and by `device.checkDeferredErrors()`, every one of them is
// reported, and the tensors computed from the bad result are poisoned: reading them throws,
// so a clamped value is never read as valid. The training loop checks before the optimizer
// step, so a batch with a bad label leaves the weights as they were.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SGD, TensorLoopError, TrainingLoop, gather, mul, softmaxCrossEntropy, sum, tensor } from '../../src/index.js';
import { testWebGpu } from '../helpers/devices.js';
import { Linear, parameterValues, toyBatches } from '../loop/helpers.js';

const gpu = await testWebGpu();

/** The error a promise rejects with (fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<TensorLoopError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, TensorLoopError);
    return error as TensorLoopError;
  }
  return assert.unreachable('expected a TensorLoopError') as never;
}

if (gpu) {
  const t = (values: number[], dtype: 'float32' | 'int32' = 'float32') => tensor(values, { device: gpu, dtype });

  test('a bad gather index: the next read of any tensor throws, naming gather and the index', async () => {
    const unrelated = t([1, 2, 3]);
    const y = gather(t([10, 20, 30]), t([0, 7], 'int32'));
    const error = await rejection(unrelated.data());
    assert.match(error.message, /^gather: index 7 is out of range \[0, 3\)/);
    // reported once: the unrelated tensor reads fine now, the device goes on working
    assert.equal(Array.from(await unrelated.data()), [1, 2, 3]);
    assert.equal(Array.from(await mul(unrelated, 2).data()), [2, 4, 6]);
    y.dispose();
  });

  test('the bad result and everything computed from it stay poisoned: reading them throws', async () => {
    const y = gather(t([10, 20, 30]), t([0, 7], 'int32'));
    const derived = sum(mul(y, 2));
    const later = mul(derived, 3); // computed after the error was found, from a bad tensor
    await rejection(gpu.checkDeferredErrors());
    for (const bad of [y, derived, later]) {
      const error = await rejection(bad.data());
      assert.match(error.message, /^gather: index 7 is out of range/);
    }
    const again = await rejection(y.data());
    assert.match(again.message, /^gather:/, 'still poisoned at the next read');
    const fine = gather(t([10, 20, 30]), t([2, 1], 'int32'));
    assert.equal(Array.from(await fine.data()), [30, 20]);
  });

  test('two deferred errors before a read: both are reported, each naming its op', async () => {
    const a = gather(t([1, 2]), t([5], 'int32'));
    const b = softmaxCrossEntropy(tensor([[1, 2, 3]], { device: gpu }), t([3], 'int32'));
    const error = await rejection(t([0]).data());
    assert.match(error.message, /gather: index 5 is out of range \[0, 2\)/);
    assert.match(error.message, /softmaxCrossEntropy: label 3 is out of range \[0, 3\)/);
    await rejection(a.data());
    await rejection(b.data());
  });

  test('checkDeferredErrors: resolves when nothing is pending, rejects with the op otherwise', async () => {
    await gpu.checkDeferredErrors();
    const ok = gather(t([1, 2]), t([1], 'int32'));
    await gpu.checkDeferredErrors();
    assert.equal(Array.from(await ok.data()), [2]);
    gather(t([1, 2]), t([-1], 'int32'));
    const error = await rejection(gpu.checkDeferredErrors());
    assert.match(error.message, /^gather: index -1 is out of range \[0, 2\)/);
    await gpu.checkDeferredErrors(); // reported once
  });

  test('many deferred ops between reads: every bad one is reported', async () => {
    for (let i = 0; i < 100; i++) gather(t([1, 2, 3]), t([i === 17 || i === 80 ? 9 + i : 1], 'int32'));
    const error = await rejection(gpu.checkDeferredErrors());
    assert.match(error.message, /index 26 is out of range/);
    assert.match(error.message, /index 89 is out of range/);
  });

  test('TrainingLoop: a batch with a bad label fails the fit at that batch and does not update the weights', async () => {
    const model = new Linear(4, 3, gpu, 3);
    const batches = toyBatches(16, 8, gpu);
    const bad = batches[1]!;
    const labels = Array.from(await bad.label.data());
    labels[5] = 3; // only 3 classes
    batches[1] = { data: bad.data, label: tensor(labels, { dtype: 'int32', device: gpu }) };
    const steps: number[] = [];
    let afterFirst: number[] = [];
    const loop = new TrainingLoop({
      training: [batches],
      validation: [],
      optimizer: new SGD(model, { learningRate: 0.5 }),
      lossFunction: softmaxCrossEntropy,
      progress: false,
      callbacks: [
        async (l, event) => {
          if (event === 'batchEnd') {
            steps.push(l.batchIndex!);
            if (l.batchIndex === 0) afterFirst = await parameterValues(model);
          }
        },
      ],
    });
    const error = await rejection(loop.fit(model, { epochs: 1 }));
    assert.match(error.message, /softmaxCrossEntropy: label 3 is out of range \[0, 3\)/);
    assert.equal(steps, [0], 'the bad batch never reached batchEnd');
    assert.equal(await parameterValues(model), afterFirst, 'the weights are those after the first (good) batch');
  });
}

test.run();
