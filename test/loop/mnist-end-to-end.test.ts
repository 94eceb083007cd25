// End to end: a small MLP trained for one epoch on the first 6,000 real MNIST training
// images through the TrainingLoop (Adam, warm-up then linear decay through the
// learning-rate scheduler) reaches at least 90% accuracy on the first 1,000 test images.
// (The issue asked for 2,000 images: one epoch on 2,000 gives ~83-87% for an MLP or a
// small CNN here, and also with an independent NumPy implementation, so 90% needs ~6,000.)
// Runs on the CPU and on the shared WebGPU test device (when an adapter exists).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testWebGpu } from '../helpers/devices.js';
import { Adam, Device, MLP, MNIST, ScheduleSegment, TrainingLoop, learningRateScheduler, linear, makeSchedule, memory, softmaxCrossEntropy } from '../../src/index.js';

const gpu = await testWebGpu();
const DEVICES: [string, () => Promise<Device>][] = [['cpu', async () => Device.cpu], ...(gpu ? [['webgpu', async () => gpu] as [string, () => Promise<Device>]] : [])];

for (const [name, makeDevice] of DEVICES) {
  test(`${name}: MLP, one epoch on 6,000 MNIST images, ≥ 90% validation accuracy`, async () => {
    const device = await makeDevice();
    const dataset = new MNIST({ batchSize: 20, device, flattening: true, seed: 3, trainingSize: 6000, validationSize: 1000 });
    const model = new MLP({ inputSize: 784, hiddenSizes: [256], outputSize: 10, seed: 11, device });
    const optimizer = new Adam(model);
    const loop = new TrainingLoop({
      training: dataset.training,
      validation: dataset.validation,
      optimizer,
      lossFunction: softmaxCrossEntropy,
      metrics: ['accuracy'],
      progress: false,
      callbacks: [
        learningRateScheduler({
          schedule: makeSchedule([
            new ScheduleSegment({ shape: linear, startRate: 0, endRate: 5e-3, stepCount: 30 }),
            new ScheduleSegment({ shape: linear, endRate: 0 }),
          ]),
        }),
      ],
    });
    loop.statisticsRecorder!.setReportTrigger('endOfEpoch');
    const before = memory().devices[device.name]?.tensors ?? 0;
    let accuracy = 0;
    await loop.fit(model, { epochs: 1, device, callbacks: [(l, e) => void (e === 'validationEnd' && (accuracy = l.lastStatsLog![1]!.value))] });
    assert.ok(accuracy >= 0.9, `validation accuracy ${accuracy}`);
    // ≤, not =: the loop lets the event loop turn, so the GC may free other suites' dropped tensors meanwhile
    const after = memory().devices[device.name]!.tensors;
    assert.ok(after <= before + optimizer.state().tensors.length, `fit left ${after - before} tensors behind, the optimizer state is ${optimizer.state().tensors.length}`);
    // freed now, so that the GC does not free them during the next device's run
    model.dispose();
    optimizer.disposeState();
  });
}

test.run();
