// `tensorBoardStatisticsLogger({logdir?})`: writes the loop's statistics as TensorBoard
// scalars, by itself (TFRecord + hand-encoded protobuf, see src/io). Layout:
//   <logdir>/<run timestamp>/train/events.out.tfevents.<seconds>.<host>
//   <logdir>/<run timestamp>/validation/events.out.tfevents.<seconds>.<host>
// with tags `epoch_<metric>` (step = 0-based epoch, at the end of each phase) in both and
// `batch_<metric>` (step = globalStep) for every measured training batch, so TensorBoard
// draws training and validation on one chart per metric; the learning rate as
// `learning_rate` (per training batch) and `epoch_learning_rate`. Steps continue across
// fits with one logger (a second fit does not rewrite epoch 0). Default logdir
// `run/tensorboard/stats`; view with `tensorboard --logdir run/tensorboard/stats`.
// Unlike S4TF (one file per metric and phase, unordered writes): one file per phase, its
// records in order, on disk within a second and at every epoch end (see
// src/io/event-file-writer.ts), so a crash or a Ctrl-C loses at most the last second.

import { EventFileWriter } from '../../io/event-file-writer.js';
import type { TrainingLoopState } from '../state.js';
import { checkOptions } from '../../options.js';
import { nodeModule } from '../../platform.js';

const NODE_ONLY = 'tensorBoardStatisticsLogger: TensorBoard event files are written in Node only';

export interface TensorBoardLoggerOptions {
  /** The root of all runs (default `run/tensorboard/stats`). */
  logdir?: string;
  /** This run's folder name (default: seconds since the epoch, with the fraction, as S4TF). */
  runName?: string;
}

export class TensorBoardStatisticsLogger {
  readonly name = 'TensorBoardStatisticsLogger';
  /** The run's folder (for printing where to point TensorBoard). */
  readonly runDirectory: string;
  private readonly writers = new Map<'train' | 'validation', EventFileWriter>();
  private lastLog: unknown;
  /** Added to the loop's epoch index and global step, so that a second fit with this
   * logger continues its charts instead of rewriting step 0. */
  private epochOffset = 0;
  private stepOffset = 0;
  private nextEpochStep = 0;
  private nextBatchStep = 0;

  constructor(options: TensorBoardLoggerOptions = {}) {
    const { logdir = 'run/tensorboard/stats', runName = String(Date.now() / 1000) } = checkOptions('tensorBoardStatisticsLogger', options, ['logdir', 'runName']);
    this.runDirectory = nodeModule('path', NODE_ONLY).join(logdir, runName);
  }

  onFitStart(loop: TrainingLoopState): void {
    this.stepOffset = Math.max(0, this.nextBatchStep - loop.globalStep);
  }

  onEpochStart(loop: TrainingLoopState): void {
    // a resumed fit starts at its initial epoch; a later fit of the same loop at 0
    if (loop.epochIndex !== undefined && loop.epochIndex + this.epochOffset < this.nextEpochStep) this.epochOffset = this.nextEpochStep - loop.epochIndex;
  }

  onBatchEnd(loop: TrainingLoopState): void {
    const stats = loop.lastStatsLog;
    if (!loop.isTraining || !stats || stats === this.lastLog) return;
    this.lastLog = stats;
    const step = loop.globalStep + this.stepOffset;
    for (const { name, value } of stats) this.writer('train').addScalar(`batch_${name}`, value, step);
    this.writer('train').addScalar('learning_rate', loop.optimizer.learningRate, step);
    this.nextBatchStep = step + 1;
  }

  onTrainingEnd(loop: TrainingLoopState): void {
    this.logEpoch(loop, 'train');
    if (loop.epochIndex !== undefined) this.writer('train').addScalar('epoch_learning_rate', loop.optimizer.learningRate, loop.epochIndex + this.epochOffset);
  }

  onValidationEnd(loop: TrainingLoopState): void {
    this.logEpoch(loop, 'validation');
  }

  async onEpochEnd(): Promise<void> {
    await this.flush();
  }

  async onFitEnd(): Promise<void> {
    await this.flush();
  }

  /** Writes every queued record now (also done at each epoch end and at fitEnd). */
  async flush(): Promise<void> {
    await Promise.all([...this.writers.values()].map((w) => w.flush()));
  }

  /** `epoch_<metric>` at the end of a phase (not for `loop.evaluate`, which has no epoch). */
  private logEpoch(loop: TrainingLoopState, phase: 'train' | 'validation'): void {
    if (loop.epochIndex === undefined) return;
    const step = loop.epochIndex + this.epochOffset;
    for (const { name, value } of loop.lastStatsLog ?? []) this.writer(phase).addScalar(`epoch_${name}`, value, step);
    this.nextEpochStep = Math.max(this.nextEpochStep, step + 1);
  }

  private writer(phase: 'train' | 'validation'): EventFileWriter {
    let w = this.writers.get(phase);
    if (!w) this.writers.set(phase, (w = new EventFileWriter(nodeModule('path', NODE_ONLY).join(this.runDirectory, phase))));
    return w;
  }
}

/** S4TF's name for `new TensorBoardStatisticsLogger(options)`. */
export function tensorBoardStatisticsLogger(options: TensorBoardLoggerOptions = {}): TensorBoardStatisticsLogger {
  return new TensorBoardStatisticsLogger(options);
}
