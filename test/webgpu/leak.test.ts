// No leaks on WebGPU: 500 training steps (forward, backward, optimizer update) of
// a small model leave the live tensor count, the device's live buffers and bytes
// (memory()) exactly where the first step left them, and the buffer pool stops growing
// once every batch alignment has been seen. Three models: an MLP with Adam; a tiny conv net
// (conv, BatchNorm with its running statistics, max pooling, dropout, dense) with SGD and
// momentum; a tiny GPT (embedding gathers and their scatter-add gradients, causal
// attention, LayerNorm) with AdamW; the first step creates the optimizer state, so it is the baseline.
//
// The steps run synchronously (on WebGPU they only record work) in stretches of 25, the
// event loop turning between stretches: the FinalizationRegistry that frees forgotten
// tensors runs its callbacks only when the event loop turns, so it cannot hide a leak
// from the counts taken after every step and compared with those at the stretch's start. The loss is read
// at the end, and must have gone down: the steps did train.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { WebGpuDevice } from '../../src/device/webgpu.js';
import {
  Adam,
  AdamW,
  BatchNorm,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  GPT,
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
/** Steps between turns of the event loop. Dawn frees the resources of finished GPU work
 * only when the event loop turns; a process that records ~64k dispatches without letting
 * it turn crashes inside Dawn (SIGSEGV), so a long synchronous run is not an option. */
const YIELD_EVERY = 25;

interface Snapshot {
  tensors: number;
  buffers: number;
  bytes: number;
  /** GPU buffers in existence: handed out plus pooled (a tensor the GC frees moves its
   * buffer from one to the other: the sum stays). */
  poolBuffers: number;
}

function snapshot(gpu: WebGpuDevice): Snapshot {
  const { buffers, bytes } = gpu.memory();
  const pool = gpu.poolStats();
  return { tensors: liveTensorCount(gpu), buffers, bytes, poolBuffers: pool.liveBuffers + pool.pooledBuffers };
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
    [
      'GPT (embeddings, causal attention, LayerNorm), AdamW, 2 windows of 8 tokens',
      () => {
        const model = new GPT({ vocabularySize: 11, contextSize: 8, modelSize: 8, headCount: 2, layerCount: 1, seed: 11, device: gpu });
        const tokens = Array.from({ length: 18 }, (_, i) => (i * 3) % 11);
        return {
          model,
          optimizer: new AdamW(model, { learningRate: 0.01 }),
          x: tensor([...tokens.slice(0, 8), ...tokens.slice(9, 17)], { shape: [2, 8], dtype: 'int32', device: gpu }),
          labels: tensor([...tokens.slice(1, 9), ...tokens.slice(10, 18)], { shape: [2, 8], dtype: 'int32', device: gpu }),
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
      let baseline = after1;
      for (let step = 2; step <= STEPS; step++) {
        if (step % YIELD_EVERY === 0) {
          await new Promise((resolve) => setImmediate(resolve));
          baseline = snapshot(gpu); // the GC may have freed other suites' tensors meanwhile
          assert.ok(baseline.tensors <= after1.tensors && baseline.bytes <= after1.bytes, `before step ${step}: ${JSON.stringify(baseline)}`);
        }
        loss.dispose();
        loss = trainingStep(model, optimizer, x, labels);
        const now = snapshot(gpu);
        byStep.push(now);
        // checked at every step, before the event loop can run a finalizer
        if (now.tensors !== baseline.tensors || now.buffers !== baseline.buffers || now.bytes !== baseline.bytes) {
          assert.unreachable(`step ${step}: ${JSON.stringify(now)}, expected as after step 1: ${JSON.stringify(baseline)}`);
        }
      }
      // The pool holds more than the live buffers: a step's temporaries, freed, wait for
      // the next submit before reuse, and how many wait depends on where the step falls in
      // a batch of 32 dispatches, a pattern that repeats within 32 steps. So the pool may
      // grow over the first steps (here it levels off by step ~30), then never again.
      const warm = byStep[63]!;
      const end = byStep[STEPS - 1]!;
      assert.ok(end.poolBuffers <= warm.poolBuffers, `pool grew from ${JSON.stringify(warm)} at step 64 to ${JSON.stringify(end)}`);

      const lastLoss = await loss.item();
      assert.ok(Number.isFinite(lastLoss) && lastLoss < firstLoss, `loss ${firstLoss} → ${lastLoss}`);
      loss.dispose();
      assert.ok(liveTensorCount(gpu) <= after1.tensors - 1, 'the loss was the only tensor a step left');
      model.dispose();
      optimizer.disposeState();
      for (const t of [x, labels]) t.dispose();
    });
  }
}

test.run();
