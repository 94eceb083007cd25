// ResNet-CIFAR10, the Swift for TensorFlow sample the TrainingLoop document walks
// through: `ResNet(classCount: 10, depth: .resNet56, downsamplingInFirstStage: false)`
// trained with SGD on softmaxCrossEntropy, reporting accuracy, on the CIFAR-10 images
// (the standard binary distribution, read by src/data/cifar10.ts).
//
// CIFAR-10 is not bundled; download and extract it once (the script says so when it is missing):
//   curl -O https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz && tar xzf cifar-10-binary.tar.gz
//   npx tsx examples/resnet-cifar10.ts --data cifar-10-batches-bin
//   npx tsx examples/resnet-cifar10.ts --depth 56 --limit all --epochs 10     the seed's full run
//
// The defaults are cut to fit a short run on a 2-core CPU: ResNet-20 (the seed's depth is
// 56), the first 256 training and 256 test images, one epoch, and SGD with momentum at a
// larger rate than the seed's 0.001 (which barely moves in a few steps).
// Flags: --data, --depth 20|32|44|56, --epochs, --batch-size, --limit N|all (train on the
// first N images), --validation-limit N|all (default: as --limit), --learning-rate,
// --seed, --device default|cpu|webgpu (default: Device.default()).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CIFAR10, type Device, ResNet, type ResNetDepth, SGD, TensorLoopError, TrainingLoop, type TrainingLoopCallback, type TrainingLoopOptions, softmaxCrossEntropy } from '../src/index.js';
import { isMain, positiveInteger, positiveNumber, runExample } from './data/cli.js';

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];

export interface ResNetExampleOptions {
  device: Device;
  /** The folder holding data_batch_1.bin … test_batch.bin. */
  path: string;
  depth: ResNetDepth;
  epochs: number;
  batchSize: number;
  /** Train on the first n images (undefined: all 50,000). */
  limit?: number;
  /** Validate on the first n test images (undefined: all 10,000). */
  validationLimit?: number;
  learningRate: number;
  seed: number;
  /** Records per file: 10,000 in the real distribution (smaller in tests). */
  recordsPerFile?: number;
  progress?: TrainingLoopOptions['progress'];
  /** Extra callbacks, after the example's own. */
  callbacks?: TrainingLoopCallback[];
}

export const DEFAULTS = { path: 'cifar-10-batches-bin', depth: 20 as ResNetDepth, epochs: 1, batchSize: 32, limit: 256, learningRate: 0.01, seed: 1 };

/** What to do when the CIFAR-10 folder is missing, or undefined when it is complete. */
export function missingDataMessage(path: string): string | undefined {
  const missing = CIFAR10_FILES.filter((f) => !existsSync(join(path, f)));
  if (missing.length === 0) return undefined;
  return [
    existsSync(path) ? `CIFAR-10: ${path} lacks ${missing.join(', ')}.` : `CIFAR-10 is not at '${path}'.`,
    'It cannot be bundled; download the binary version (163 MB) and extract it:',
    `  curl -O ${CIFAR10_URL}`,
    '  tar xzf cifar-10-binary.tar.gz        # makes cifar-10-batches-bin/ with data_batch_1.bin … data_batch_5.bin, test_batch.bin',
    'then run from the folder that holds it, or point --data at it:',
    '  npx tsx examples/resnet-cifar10.ts --data path/to/cifar-10-batches-bin',
  ].join('\n');
}

/** Builds the data, model, optimizer and loop, trains, and returns the final statistics. */
export async function trainResNet(options: ResNetExampleOptions) {
  const { device, path, depth, epochs, batchSize, limit, validationLimit, learningRate, seed, recordsPerFile } = options;
  const dataset = new CIFAR10({ batchSize, path, device, seed, recordsPerFile, trainingSize: limit, validationSize: validationLimit });
  const model = new ResNet({ classCount: 10, depth, downsamplingInFirstStage: false, seed, device });
  const optimizer = new SGD(model, { learningRate, momentum: 0.9 });
  const loop = new TrainingLoop({
    training: dataset.training,
    validation: dataset.validation,
    optimizer,
    lossFunction: softmaxCrossEntropy,
    metrics: ['accuracy'],
    callbacks: [...(options.callbacks ?? [])],
    progress: options.progress,
  });
  const history = await loop.fit(model, { epochs, device });
  return { model, dataset, loop, history, training: history.lastEpoch('training'), validation: history.lastEpoch('validation') };
}

/** `all` → undefined (the whole split), else a positive integer. */
function limitFlag(name: string, value: string | undefined): number | undefined {
  return value === 'all' ? undefined : positiveInteger(name, value);
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: DEFAULTS.path },
      depth: { type: 'string', default: String(DEFAULTS.depth) },
      epochs: { type: 'string', default: String(DEFAULTS.epochs) },
      'batch-size': { type: 'string', default: String(DEFAULTS.batchSize) },
      limit: { type: 'string', default: String(DEFAULTS.limit) },
      'validation-limit': { type: 'string' },
      'learning-rate': { type: 'string', default: String(DEFAULTS.learningRate) },
      seed: { type: 'string', default: String(DEFAULTS.seed) },
      device: { type: 'string', default: 'default' },
    },
  });
  const missing = missingDataMessage(values.data);
  if (missing) {
    console.log(missing);
    process.exit(1);
  }
  const depth = Number(values.depth);
  if (![20, 32, 44, 56].includes(depth)) throw new TensorLoopError(`--depth must be 20, 32, 44 or 56, got '${values.depth}'`);
  const limit = limitFlag('limit', values.limit);
  const options: Omit<ResNetExampleOptions, 'device'> = {
    path: values.data,
    depth: depth as ResNetDepth,
    epochs: positiveInteger('epochs', values.epochs),
    batchSize: positiveInteger('batch-size', values['batch-size']),
    limit,
    validationLimit: values['validation-limit'] === undefined ? limit : limitFlag('validation-limit', values['validation-limit']),
    learningRate: positiveNumber('learning-rate', values['learning-rate']),
    seed: Number(values.seed),
  };
  await runExample(values.device, async (device) => {
    console.log(
      `ResNet-${options.depth} (downsamplingInFirstStage: false) on CIFAR-10: ${options.limit ?? 50000} training / ${options.validationLimit ?? 10000} test images, ` +
        `${options.epochs} epoch(s), batches of ${options.batchSize}, SGD(learningRate ${options.learningRate}, momentum 0.9), on ${device.name}`,
    );
    const start = performance.now();
    const result = await trainResNet({ ...options, device });
    console.log(`\n${result.model.parameterCount()} parameters; validation accuracy: ${((result.validation.accuracy ?? NaN) * 100).toFixed(2)}% (chance: 10%)`);
    console.log(`time: ${((performance.now() - start) / 1000).toFixed(1)} s on ${device.name}`);
  });
}
