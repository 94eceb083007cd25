// The Epochs API (Swift for TensorFlow's TrainingEpochs and inBatches).
//   new TrainingEpochs(samples, {batchSize, seed}): an endless sequence of epochs; each
//     reshuffles the sample order (seeded, so runs repeat) and drops the last
//     count % batchSize samples of that order, so every batch is full.
//   inBatches(samples, batchSize): the fixed-order batches of a validation set, the
//     partial last batch kept.
// An epoch is a `Batches`: it knows its `count` and makes each batch's tensors only when
// iterated (inside the loop's memory scope for that batch).

import { TensorLoopError } from '../errors.js';
import { Random } from '../random.js';
import type { LabeledBatch } from './batches.js';
import { checkRequiredOptions } from '../options.js';

/** Anything that can make a batch from sample indices. */
export interface SampleSource {
  readonly count: number;
  makeBatch(indices: ArrayLike<number>): LabeledBatch;
}

/** Batches over a fixed order of sample indices. */
export class Batches implements Iterable<LabeledBatch> {
  readonly count: number;

  constructor(
    private readonly samples: SampleSource,
    /** The sample indices of this epoch, in batch order. */
    readonly order: Int32Array,
    readonly batchSize: number,
  ) {
    this.count = Math.ceil(order.length / batchSize);
  }

  *[Symbol.iterator](): Iterator<LabeledBatch> {
    for (let b = 0; b < this.count; b++) yield this.samples.makeBatch(this.order.subarray(b * this.batchSize, (b + 1) * this.batchSize));
  }
}

function checkSource(owner: string, samples: SampleSource): void {
  if (!samples || !Number.isInteger(samples.count) || typeof samples.makeBatch !== 'function') {
    throw new TensorLoopError(`${owner}: samples must be a sample source {count, makeBatch(indices)} such as ImageSamples`);
  }
}

function checkBatchSize(owner: string, batchSize: number, count: number): void {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new TensorLoopError(`${owner}: batchSize must be an integer ≥ 1, got ${batchSize}`);
  if (count < 1) throw new TensorLoopError(`${owner}: the dataset has no samples`);
}

export function inBatches(samples: SampleSource, batchSize: number): Batches {
  checkSource('inBatches', samples);
  checkBatchSize('inBatches', batchSize, samples.count);
  return new Batches(samples, Int32Array.from({ length: samples.count }, (_, i) => i), batchSize);
}

export interface TrainingEpochsOptions {
  batchSize: number;
  /** Seed of the shuffles (default 0). */
  seed?: number;
}

export class TrainingEpochs implements Iterable<Batches> {
  readonly batchSize: number;
  /** Batches per epoch: ⌊count / batchSize⌋. */
  readonly batchCount: number;
  private readonly order: Int32Array;
  private readonly random: Random;

  constructor(private readonly samples: SampleSource, options: TrainingEpochsOptions) {
    const { batchSize, seed = 0 } = checkRequiredOptions('TrainingEpochs', options, ['batchSize', 'seed']);
    checkSource('TrainingEpochs', samples);
    checkBatchSize('TrainingEpochs', batchSize, samples.count);
    if (batchSize > samples.count) throw new TensorLoopError(`TrainingEpochs: batchSize ${batchSize} is larger than the ${samples.count} samples`);
    this.batchSize = batchSize;
    this.batchCount = Math.floor(samples.count / batchSize);
    this.order = Int32Array.from({ length: samples.count }, (_, i) => i);
    this.random = new Random(seed);
  }

  /** The next epoch: the order reshuffled (the shuffle state lives on across fits). */
  nextEpoch(): Batches {
    this.random.shuffle(this.order);
    return new Batches(this.samples, this.order.slice(0, this.batchCount * this.batchSize), this.batchSize);
  }

  [Symbol.iterator](): Iterator<Batches> {
    return { next: () => ({ done: false, value: this.nextEpoch() }) };
  }

  /** Where the shuffles stand (the last order and the generator), as JSON: `setState` with
   * it makes the next epochs those that would have followed. */
  state(): TrainingEpochsState {
    return { order: Array.from(this.order), random: this.random.state() };
  }

  /** Checks everything (the order must be a permutation of this dataset's samples)
   * before changing anything. */
  setState(state: TrainingEpochsState): void {
    const order = state?.order;
    const count = this.order.length;
    if (!Array.isArray(order) || order.length !== count) {
      throw new TensorLoopError(`TrainingEpochs.setState: the saved order has ${Array.isArray(order) ? order.length : 'no'} sample indices, this dataset ${count} samples`);
    }
    const seen = new Uint8Array(count);
    for (const i of order) {
      if (!Number.isInteger(i) || i < 0 || i >= count || seen[i]) throw new TensorLoopError(`TrainingEpochs.setState: the saved order is not a permutation of 0…${count - 1} (at ${JSON.stringify(i)})`);
      seen[i] = 1;
    }
    const random = new Random(0);
    random.setState(state.random);
    this.random.setState(random.state());
    this.order.set(order);
  }
}

/** TrainingEpochs' position as JSON (see TrainingEpochs.state). */
export interface TrainingEpochsState {
  order: number[];
  random: number;
}
