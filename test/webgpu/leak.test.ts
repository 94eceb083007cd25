// Issue 3, no leaks on WebGPU: 500 training steps (forward, backward, optimizer update) of
// a small model leave the live tensor count, the device's live buffers and bytes
// (memory()) exactly where the first step left them, and the buffer pool stops growing
// once every batch alignment has been seen. Two models: an MLP with Adam, and a tiny conv
// net (conv, BatchNorm with its running statistics, max pooling, dropout, dense) with SGD
// and momentum; the first step creates the optimizer state, so it is the baseline.
//
// The 500 steps run synchronously (on WebGPU they only record work): the
// FinalizationRegistry that frees forgotten tensors runs its callbacks only when the event
// loop turns, so it cannot hide a leak from counts taken between steps. The loss is read
// at the end, and must have gone down: the steps did train.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { WebGpuDevice } from '../../src/device/webgpu.js';
import {
  Adam,
  BatchNorm,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  MLP,
  MaxPool2D,
  type Module,
  type Optimizer,
  SGD,
  Sequential,
  type Tensor,
  keep,
  randn,
  softmaxCrossEntropy,
  tensor,
  tidy,
  valueWithGradient,
} from '../../src/index.js';
import { liveTensorCount } from '../../src/tensor.js';
import { testWebGpu } from '../helpers/devices.js';

const STEPS = 500;

interface Snapshot {
  tensors: number;
  buffers: number;
  bytes: number;
  /** GPU buffers in existence: handed out plus pooled. */
  poolBuffers: number;
  poolBytes: number;
}

function snapshot(gpu: WebGpuDevice): Snapshot {
  const { buffers, bytes } = gpu.memory();
  const pool = gpu.poolStats();
  return { tensors: liveTensorCount(gpu), buffers, bytes, poolBuffers: pool.liveBuffers + pool.pooledBuffers, poolBytes: pool.pooledBytes };
}

/** One step inside a scope: the loss (kept, for reading) and nothing else survives. */
function trainingStep(model: Module & { forward(x: Tensor): Tensor }, optimizer: Optimizer, x: Tensor, labels: Tensor): Tensor {
  return tidy(() => {
    const [loss, grads] = valueWithGradient(model, (m) => softmaxCrossEntropy(m.forward(x), labels));
    optimizer.update(model, grads);
    return keep(loss);
  });
}

const gpu = await testWebGpu();

if (gpu) {
  const cases: [string, () => { model: Module & { forward(x: Tensor): Tensor }; optimizer: Optimizer; x: Tensor; labels: Tensor }][] = [
    [
      'MLP 12→16→3, Adam, batches of 8',
      () => {
        const model = new MLP({ inputSize: 12, hiddenSizes: [16], outputSize: 3, seed: 5, device: gpu });
        return {
          model,
          optimizer: new Adam(model, { learningRate: 0.01 }),
          x: randn([8, 12], { seed: 6, device: gpu }),
          labels: tensor([0, 1, 2, 0, 1, 2, 0, 1], { dtype: 'int32', device: gpu }),
        };
      },
    ],
    [
      'conv net (conv, BatchNorm, max pool, dropout, dense), SGD with momentum, batches of 4',
      () => {
        const model = new Sequential(
          new Conv2D([3, 3, 1, 4], { padding: 'same', activation: 'relu', seed: 7, device: gpu }),
          new BatchNorm(4, { device: gpu }),
          new MaxPool2D({ windowSize: 2 }),
          new Flatten(),
          new Dropout(0.25, { seed: 8 }),
          new Dense(4 * 3 * 3, 3, { seed: 9, device: gpu }),
        );
        return {
          model,
          optimizer: new SGD(model, { learningRate: 0.05, momentum: 0.9 }),
          x: randn([4, 6, 6, 1], { seed: 10, device: gpu }),
          labels: tensor([0, 1, 2, 1], { dtype: 'int32', device: gpu }),
        };
      },
    ],
  ];

  for (const [name, setup] of cases) {
    test(`webgpu: ${STEPS} steps of ${name} leave tensors, buffers and bytes as after step 1`, async () => {
      const { model, optimizer, x, labels } = setup();
      let loss = trainingStep(model, optimizer, x, labels);
      const firstLoss = await loss.item();
      const after1 = snapshot(gpu);
      const byStep: Snapshot[] = [after1];
      for (let step = 2; step <= STEPS; step++) {
        loss.dispose();
        loss = trainingStep(model, optimizer, x, labels);
        const now = snapshot(gpu);
        byStep.push(now);
        // checked at every step, before the event loop can run a finalizer
        if (now.tensors !== after1.tensors || now.buffers !== after1.buffers || now.bytes !== after1.bytes) {
          assert.unreachable(`step ${step}: ${JSON.stringify(now)}, after step 1: ${JSON.stringify(after1)}`);
        }
      }
      // The pool holds more than the live buffers: a step's temporaries, freed, wait for
      // the next submit before reuse, and how many wait depends on where the step falls in
      // a batch of 32 dispatches, a pattern that repeats within 32 steps. So the pool may
      // grow over the first steps (here it levels off by step ~30), then never again.
      const warm = byStep[63]!;
      const end = byStep[STEPS - 1]!;
      assert.ok(end.poolBuffers <= warm.poolBuffers && end.poolBytes <= warm.poolBytes, `pool grew from ${JSON.stringify(warm)} at step 64 to ${JSON.stringify(end)}`);

      const lastLoss = await loss.item();
      assert.ok(Number.isFinite(lastLoss) && lastLoss < firstLoss, `loss ${firstLoss} → ${lastLoss}`);
      loss.dispose();
      assert.is(liveTensorCount(gpu), after1.tensors - 1, 'the loss was the only tensor a step left');
      model.dispose();
      optimizer.disposeState();
      for (const t of [x, labels]) t.dispose();
    });
  }
}

test.run();
