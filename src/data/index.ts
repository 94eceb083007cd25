// The Epochs API and the datasets.
export { type LabeledBatch, type BatchCollection, batchCountOf } from './batches.js';
export { TrainingEpochs, Batches, inBatches, type SampleSource, type TrainingEpochsOptions, type TrainingEpochsState } from './epochs.js';
export { ImageSamples, type ImageSamplesOptions } from './samples.js';
export { parseIdx, type IdxArray } from './idx.js';
export { MNIST, type MNISTOptions, type MNISTFiles, MNIST_FILE_NAMES, readMNISTFiles, fetchMNISTFiles } from './mnist.js';
export { CIFAR10, type CIFAR10Options } from './cifar10.js';
export { validationSplit, SampleSubset } from './validation-split.js';
