// Training on WebGPU, beyond single kernels: a 10-epoch TrainingLoop run of a tiny conv net
// keeps the device's memory flat from epoch to epoch; a checkpoint saved from WebGPU
// tensors loads back bit-exact (on WebGPU and on the CPU); and a model with its optimizer
// moved CPU → WebGPU (Module.to, Optimizer.to) computes what it computed on the CPU and
// takes the same next step. The MNIST accuracy bar on WebGPU is in
// test/loop/mnist-end-to-end.test.ts. Runs only where an adapter exists.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Device } from '../../src/device/device.js';
import { cpu } from '../../src/device/cpu.js';
import type { WebGpuDevice } from '../../src/device/webgpu.js';
import {
  Adam,
  BatchNorm,
  Conv2D,
  Dense,
  Flatten,
  GPT,
  AdamW,
  ImageSamples,
  MaxPool2D,
  type Optimizer,
  SGD,
  Sequential,
  type Tensor,
  TrainingEpochs,
  TrainingLoop,
  inBatches,
  loadCheckpoint,
  noGrad,
  randn,
  saveCheckpoint,
  softmaxCrossEntropy,
  tensor,
  tidy,
  valueWithGradient,
} from '../../src/index.js';
import { Random } from '../../src/random.js';
import { liveTensorCount } from '../../src/tensor.js';
import { assertClose } from '../helpers/assert.js';
import { testWebGpu } from '../helpers/devices.js';

/** conv 3×3 (4 filters) → BatchNorm → max pool 2 → flatten → dense to 3 classes, on 6×6×1 images. */
function tinyConvNet(device: Device, seed = 1): Sequential {
  return new Sequential(
    new Conv2D([3, 3, 1, 4], { padding: 'same', activation: 'relu', seed, device }),
    new BatchNorm(4, { device }),
    new MaxPool2D({ windowSize: 2 }),
    new Flatten(),
    new Dense(36, 3, { seed: seed + 1, device }),
  );
}

/** `count` 6×6 images of seeded noise whose label is the brightest third (top, middle, bottom rows). */
function brightestThird(count: number, device: Device, seed: number): ImageSamples {
  const random = new Random(seed);
  const pixels = new Uint8Array(count * 36);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 3;
    for (let p = 0; p < 36; p++) pixels[i * 36 + p] = Math.floor(random.next() * 128) + (Math.floor(p / 12) === labels[i] ? 127 : 0);
  }
  return new ImageSamples(pixels, labels, [6, 6, 1], device);
}

/** One training step outside the loop (the gradient and temporaries freed). */
function step(model: Sequential, optimizer: Optimizer, x: Tensor, labels: Tensor): void {
  tidy(() => {
    const [, grads] = valueWithGradient(model, (m) => softmaxCrossEntropy(m.forward(x), labels));
    optimizer.update(model, grads);
  });
}

async function values(named: [string, Tensor][]): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, t] of named) out.set(name, (await t.data()) as Float32Array);
  return out;
}

/** Bit-for-bit equality of float32 values (NaN payloads and −0 included). */
function assertBitExact(actual: Map<string, Float32Array>, expected: Map<string, Float32Array>, what: string): void {
  assert.equal([...actual.keys()].sort(), [...expected.keys()].sort(), `${what}: names`);
  for (const [name, e] of expected) {
    const a = actual.get(name)!;
    assert.equal(new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(e.buffer, e.byteOffset, e.length), `${what}: ${name}`);
  }
}

const gpu = await testWebGpu();

if (gpu) {
  test('webgpu: 10 epochs of a tiny conv net through the TrainingLoop keep memory() flat after the first', async () => {
    const training = new TrainingEpochs(brightestThird(48, gpu, 1), { batchSize: 8, seed: 2 });
    const validation = inBatches(brightestThird(20, gpu, 3), 8); // a partial last batch of 4
    const model = tinyConvNet(gpu, 4);
    const optimizer = new Adam(model, { learningRate: 0.02 });
    const loop = new TrainingLoop({ training, validation, optimizer, lossFunction: softmaxCrossEntropy, metrics: ['accuracy'], progress: false });
    const perEpoch: { tensors: number; buffers: number; bytes: number; loss: number; accuracy: number }[] = [];
    await loop.fit(model, {
      epochs: 10,
      device: gpu,
      callbacks: [
        (l, event) => {
          if (event === 'validationEnd') {
            const stats = Object.fromEntries(l.lastStatsLog!.map((s) => [s.name, s.value]));
            perEpoch.push({ tensors: liveTensorCount(gpu), ...gpu.memory(), loss: stats.loss!, accuracy: stats.accuracy! });
          }
        },
      ],
    });
    assert.is(perEpoch.length, 10);
    // The GC may free tensors other suites dropped on this shared device at any await, so
    // a count may fall; it must never rise above the first epoch's.
    const [first, ...rest] = perEpoch;
    for (const [i, e] of rest.entries()) {
      assert.ok(e.tensors <= first!.tensors && e.buffers <= first!.buffers && e.bytes <= first!.bytes, `epoch ${i + 2}: ${JSON.stringify(e)} > epoch 1: ${JSON.stringify(first)}`);
    }
    const last = perEpoch[9]!;
    assert.ok(last.loss < first!.loss && last.accuracy >= 0.9, `validation loss ${first!.loss} → ${last.loss}, accuracy ${last.accuracy}`);
    model.dispose();
    optimizer.disposeState();
  });

  test('webgpu: a TrainingLoop epoch of 300 tiny-GPT batches (~67k dispatches) with no readback until its end completes', async () => {
    // Regression: with metrics reported at the end of the epoch and no progress display,
    // nothing inside the epoch awaited a macrotask, and Dawn crashed (SIGSEGV) after ~64k
    // dispatches recorded without a turn of the event loop. The loop now turns it per batch.
    const model = new GPT({ vocabularySize: 11, contextSize: 8, modelSize: 8, headCount: 2, layerCount: 1, seed: 11, device: gpu });
    const optimizer = new AdamW(model, { learningRate: 0.01 });
    const tokens = Array.from({ length: 18 }, (_, i) => (i * 3) % 11);
    const batch = {
      data: tensor([...tokens.slice(0, 8), ...tokens.slice(9, 17)], { shape: [2, 8], dtype: 'int32', device: gpu }),
      label: tensor([...tokens.slice(1, 9), ...tokens.slice(10, 18)], { shape: [2, 8], dtype: 'int32', device: gpu }),
    };
    const loop = new TrainingLoop({ training: [Array.from({ length: 300 }, () => batch)], validation: [batch], optimizer, lossFunction: softmaxCrossEntropy, progress: false });
    loop.statisticsRecorder!.setReportTrigger('endOfEpoch');
    const dispatches = gpu.counters.dispatches;
    let loss = NaN;
    await loop.fit(model, { epochs: 1, device: gpu, callbacks: [(l, e) => void (e === 'validationEnd' && (loss = l.lastStatsLog![0]!.value))] });
    assert.ok(gpu.counters.dispatches - dispatches > 65_000, `${gpu.counters.dispatches - dispatches} dispatches`);
    assert.ok(loss < 0.1, `validation loss ${loss} on the memorized windows`);
    model.dispose();
    optimizer.disposeState();
    batch.data.dispose();
    batch.label.dispose();
  });

  test('webgpu: a checkpoint of a trained model and its Adam state loads back bit-exact, on WebGPU and on the CPU', async () => {
    const x = randn([4, 6, 6, 1], { seed: 5, device: gpu });
    const labels = tensor([0, 1, 2, 1], { dtype: 'int32', device: gpu });
    const model = tinyConvNet(gpu, 6);
    const optimizer = new Adam(model, { learningRate: 0.01 });
    for (let i = 0; i < 3; i++) step(model, optimizer, x, labels);
    const path = join(mkdtempSync(join(tmpdir(), 'tensorloop-')), 'tiny.safetensors');
    await saveCheckpoint(path, { model, optimizer, extra: { epoch: 3 } });
    const savedModel = await values([...model.namedParameters(), ...model.namedState()]);
    const savedState = await values(optimizer.state().tensors);
    assert.ok(savedState.size === 2 * model.namedParameters().length && [...savedState.values()].some((v) => v.some((e) => e !== 0)));

    for (const device of [gpu, cpu] as Device[]) {
      const restored = tinyConvNet(device, 99); // other initial weights
      const restoredOptimizer = new Adam(restored);
      const { extra } = await loadCheckpoint(path, { model: restored, optimizer: restoredOptimizer });
      assert.equal(extra, { epoch: 3 });
      assert.is(restoredOptimizer.step, 3);
      assert.is(restoredOptimizer.learningRate, 0.01);
      assert.ok([...restored.namedParameters(), ...restored.namedState()].every(([, t]) => t.device === device));
      assertBitExact(await values([...restored.namedParameters(), ...restored.namedState()]), savedModel, `model on ${device.name}`);
      assertBitExact(await values(restoredOptimizer.state().tensors), savedState, `Adam state on ${device.name}`);
      restored.dispose();
      restoredOptimizer.disposeState();
    }

    // the same device computes the same next step from the restored state, bit for bit
    const twin = tinyConvNet(gpu, 99);
    const twinOptimizer = new Adam(twin);
    await loadCheckpoint(path, { model: twin, optimizer: twinOptimizer });
    step(model, optimizer, x, labels);
    step(twin, twinOptimizer, x, labels);
    assertBitExact(await values(twin.namedParameters()), await values(model.namedParameters()), 'after one more step');
    for (const m of [model, twin]) m.dispose();
    for (const o of [optimizer, twinOptimizer]) o.disposeState();
    x.dispose();
    labels.dispose();
  });

  test('webgpu: Module.to and Optimizer.to move a trained model CPU → WebGPU: same outputs, same next step', async () => {
    const xData = (await randn([4, 6, 6, 1], { seed: 7 }).data()) as Float32Array;
    const onCpu = { x: tensor(xData, { shape: [4, 6, 6, 1] }), labels: tensor([2, 0, 1, 1], { dtype: 'int32' }) };
    const onGpu = { x: tensor(xData, { shape: [4, 6, 6, 1], device: gpu }), labels: tensor([2, 0, 1, 1], { dtype: 'int32', device: gpu }) };
    // two identical models trained identically on the CPU; one then moves
    const stay = tinyConvNet(cpu, 8);
    const move = tinyConvNet(cpu, 8);
    const stayOptimizer = new SGD(stay, { learningRate: 0.05, momentum: 0.9 });
    const moveOptimizer = new SGD(move, { learningRate: 0.05, momentum: 0.9 });
    for (let i = 0; i < 3; i++) {
      step(stay, stayOptimizer, onCpu.x, onCpu.labels);
      step(move, moveOptimizer, onCpu.x, onCpu.labels);
    }
    const oldTensors = [...move.namedParameters(), ...move.namedState(), ...moveOptimizer.state().tensors].map(([, t]) => t);
    const gpuTensorsBefore = liveTensorCount(gpu);
    assert.is(await move.to(gpu), move);
    assert.is(await moveOptimizer.to(gpu), moveOptimizer);
    const moved = [...move.namedParameters(), ...move.namedState(), ...moveOptimizer.state().tensors];
    assert.ok(moved.every(([, t]) => t.device === gpu), 'every parameter, BatchNorm statistic and momentum on WebGPU');
    assert.ok(oldTensors.every((t) => t.isDisposed), 'the CPU copies were freed');
    assert.is(liveTensorCount(gpu) - gpuTensorsBefore, oldTensors.length);
    assertBitExact(await values(moved), await values([...stay.namedParameters(), ...stay.namedState(), ...stayOptimizer.state().tensors]), 'moved values');

    for (const mode of ['eval', 'train'] as const) {
      stay[mode]();
      move[mode]();
      const expected = noGrad(() => stay.forward(onCpu.x));
      const actual = noGrad(() => move.forward(onGpu.x));
      assert.is(actual.device, gpu);
      assertClose(await actual.data(), await expected.data(), { atol: 1e-5, rtol: 1e-4 }, `${mode} forward`);
      expected.dispose();
      actual.dispose();
    }
    step(stay, stayOptimizer, onCpu.x, onCpu.labels);
    step(move, moveOptimizer, onGpu.x, onGpu.labels);
    const a = await values(move.namedParameters());
    const e = await values(stay.namedParameters());
    for (const [name, v] of e) assertClose(a.get(name)!, v, { atol: 1e-5, rtol: 1e-4 }, `${name} after a step on each device`);
    for (const m of [stay, move]) m.dispose();
    for (const o of [stayOptimizer, moveOptimizer]) o.disposeState();
    for (const t of [...Object.values(onCpu), ...Object.values(onGpu)]) t.dispose();
  });
}

test.run();
