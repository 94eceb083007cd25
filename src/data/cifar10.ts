// CIFAR-10 from the standard binary distribution (cifar-10-binary.tar.gz, extracted to a
// folder `cifar-10-batches-bin` holding data_batch_1.bin … data_batch_5.bin and
// test_batch.bin). Each record is 1 label byte + 3072 pixel bytes (3 channel planes of
// 32×32, CHW); 10,000 records per file, so each file must be exactly 30,730,000 bytes.
// Images become [N, 32, 32, 3] NHWC float32 in [0, 1], then (by default) normalized per
// channel with S4TF's means and standard deviations; labels int32.
// `trainingSize` / `validationSize` keep only the first n images of each split (quick runs).

import type { Device } from '../device/device.js';
import { TensorLoopError } from '../errors.js';
import { nodeModule } from '../platform.js';
import { defaultDevice } from '../tensor.js';
import { Batches, TrainingEpochs, inBatches } from './epochs.js';
import { ImageSamples } from './samples.js';
import { checkRequiredOptions } from '../options.js';

const RECORD_BYTES = 1 + 3 * 32 * 32;
export const CIFAR10_MEAN = [0.4913996898, 0.4821584196, 0.4465309242];
export const CIFAR10_STD = [0.247032232, 0.243485128, 0.2615878417];

export interface CIFAR10Options {
  batchSize: number;
  /** The folder with data_batch_1.bin … test_batch.bin. */
  path?: string;
  device?: Device;
  normalizing?: boolean;
  seed?: number;
  /** Records per file (10,000 in the real distribution). */
  recordsPerFile?: number;
  /** Use only the first n training / validation images (for quick runs and tests). */
  trainingSize?: number;
  validationSize?: number;
}

const NODE_ONLY = 'CIFAR10: reading the dataset files works in Node only';

const HOW_TO_GET =
  'download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz, extract it (tar xzf cifar-10-binary.tar.gz) ' +
  'and pass the folder it makes: new CIFAR10({batchSize, path: "cifar-10-batches-bin"})';

/** Reads binary CIFAR-10 files into HWC bytes and labels, checking every file's length. */
export function readCIFAR10Files(paths: readonly string[], recordsPerFile = 10000): { pixels: Uint8Array; labels: Uint8Array } {
  const count = paths.length * recordsPerFile;
  const pixels = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  const { existsSync, readFileSync } = nodeModule('fs', NODE_ONLY);
  paths.forEach((path, f) => {
    if (!existsSync(path)) throw new TensorLoopError(`CIFAR10: ${path} not found; ${HOW_TO_GET}`);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new TensorLoopError(`CIFAR10: cannot read ${path}: ${(error as Error).message}`);
    }
    if (bytes.length !== recordsPerFile * RECORD_BYTES) {
      throw new TensorLoopError(
        `CIFAR10: ${path} has ${bytes.length} bytes, expected ${recordsPerFile * RECORD_BYTES} (${recordsPerFile} records of ${RECORD_BYTES}); ` +
          'the file is truncated or not CIFAR-10 binary',
      );
    }
    for (let r = 0; r < recordsPerFile; r++) {
      const record = r * RECORD_BYTES;
      const sample = f * recordsPerFile + r;
      const label = bytes[record]!;
      if (label > 9) throw new TensorLoopError(`CIFAR10: ${path} record ${r} has label ${label}, not 0-9; the file is corrupt`);
      labels[sample] = label;
      // CHW planes → HWC
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < 1024; p++) pixels[sample * 3072 + p * 3 + c] = bytes[record + 1 + c * 1024 + p]!;
      }
    }
  });
  return { pixels, labels };
}

export class CIFAR10 {
  readonly training: TrainingEpochs;
  readonly validation: Batches;
  readonly trainingSamples: ImageSamples;
  readonly validationSamples: ImageSamples;

  constructor(options: CIFAR10Options) {
    checkRequiredOptions('CIFAR10', options, ['batchSize', 'path', 'device', 'normalizing', 'seed', 'recordsPerFile', 'trainingSize', 'validationSize']);
    const { batchSize, path, device = defaultDevice(), normalizing = true, seed = 0, recordsPerFile = 10000, trainingSize, validationSize } = options;
    if (!path) throw new TensorLoopError(`CIFAR10: no path given; ${HOW_TO_GET}`);
    const { existsSync } = nodeModule('fs', NODE_ONLY);
    const { join } = nodeModule('path', NODE_ONLY);
    if (!existsSync(path)) throw new TensorLoopError(`CIFAR10: ${path} does not exist; ${HOW_TO_GET}`);
    const sampleOptions = normalizing ? { normalization: { mean: CIFAR10_MEAN, std: CIFAR10_STD } } : {};
    const train = readCIFAR10Files([1, 2, 3, 4, 5].map((i) => join(path, `data_batch_${i}.bin`)), recordsPerFile);
    const test = readCIFAR10Files([join(path, 'test_batch.bin')], recordsPerFile);
    let trainSamples = new ImageSamples(train.pixels, train.labels, [32, 32, 3], device, sampleOptions);
    let testSamples = new ImageSamples(test.pixels, test.labels, [32, 32, 3], device, sampleOptions);
    if (trainingSize !== undefined) trainSamples = trainSamples.prefix(trainingSize);
    if (validationSize !== undefined) testSamples = testSamples.prefix(validationSize);
    this.trainingSamples = trainSamples;
    this.validationSamples = testSamples;
    this.training = new TrainingEpochs(trainSamples, { batchSize, seed });
    this.validation = inBatches(testSamples, batchSize);
  }
}
