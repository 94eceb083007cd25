// validationSplit: a seeded split of in-memory samples into disjoint training and validation parts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Device, ImageSamples, TrainingEpochs, inBatches, validationSplit } from '../../src/index.js';

test('validationSplit: disjoint parts covering every sample, seeded, usable by TrainingEpochs and inBatches', async () => {
  const n = 20;
  const samples = new ImageSamples(Uint8Array.from({ length: n }, (_, i) => i), Uint8Array.from({ length: n }, (_, i) => i % 10), [1], Device.cpu);
  const { training, validation } = validationSplit(samples, 0.25, { seed: 3 });
  assert.is(training.count, 15);
  assert.is(validation.count, 5);
  const seen = [...training.indices, ...validation.indices].sort((a, b) => a - b);
  assert.equal(seen, Array.from({ length: n }, (_, i) => i));
  assert.equal([...validationSplit(samples, 0.25, { seed: 3 }).validation.indices], [...validation.indices]);
  const batch = inBatches(validation, 5)[Symbol.iterator]().next().value!;
  assert.equal(Array.from(await batch.data.data()).map((v) => Math.round(Number(v) * 255)), [...validation.indices]);
  assert.is(new TrainingEpochs(training, { batchSize: 4 }).batchCount, 3);
  assert.throws(() => validationSplit(samples, 1), /fraction must be in \(0, 1\)/);
  assert.throws(() => validationSplit(samples, 0.01), /leaves 0 for validation/);
});

test.run();
