// `tensorBoardStatisticsLogger({logdir?})`: writes the loop's statistics as TensorBoard
// scalars, by itself (TFRecord + hand-encoded protobuf, see src/io). Layout:
//   <logdir>/<run timestamp>/train/events.out.tfevents.<seconds>.<host>
//   <logdir>/<run timestamp>/validation/events.out.tfevents.<seconds>.<host>
// with tags `epoch_<metric>` (step = 0-based epoch, at the end of each phase) in both and
// `batch_<metric>` (step = globalStep) for every measured training batch, so TensorBoard
// draws training and validation on one chart per metric. Default logdir
// `run/tensorboard/stats`; view with `tensorboard --logdir run/tensorboard/stats`.
// Unlike S4TF (one file per metric and phase, unordered writes): one file per phase with
// one ordered write queue; `fitEnd` waits until everything is on disk.

import { join } from 'node:path';
import { EventFileWriter } from '../../io/event-file-writer.js';
import type { TrainingLoopState } from '../state.js';
import { checkOptions } from '../../options.js';

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

  constructor(options: TensorBoardLoggerOptions = {}) {
    const { logdir = 'run/tensorboard/stats', runName = String(Date.now() / 1000) } = checkOptions('tensorBoardStatisticsLogger', options, ['logdir', 'runName']);
    this.runDirectory = join(logdir, runName);
  }

  onBatchEnd(loop: TrainingLoopState): void {
    const stats = loop.lastStatsLog;
    if (!loop.isTraining || !stats || stats === this.lastLog) return;
    this.lastLog = stats;
    for (const { name, value } of stats) this.writer('train').addScalar(`batch_${name}`, value, loop.globalStep);
  }

  onTrainingEnd(loop: TrainingLoopState): void {
    this.logEpoch(loop, 'train');
  }

  onValidationEnd(loop: TrainingLoopState): void {
    this.logEpoch(loop, 'validation');
  }

  async onFitEnd(): Promise<void> {
    await this.flush();
  }

  /** Waits for every queued write (also done at fitEnd). */
  async flush(): Promise<void> {
    await Promise.all([...this.writers.values()].map((w) => w.flush()));
  }

  private logEpoch(loop: TrainingLoopState, phase: 'train' | 'validation'): void {
    for (const { name, value } of loop.lastStatsLog ?? []) this.writer(phase).addScalar(`epoch_${name}`, value, loop.epochIndex ?? 0);
  }

  private writer(phase: 'train' | 'validation'): EventFileWriter {
    let w = this.writers.get(phase);
    if (!w) this.writers.set(phase, (w = new EventFileWriter(join(this.runDirectory, phase))));
    return w;
  }
}

/** S4TF's name for `new TensorBoardStatisticsLogger(options)`. */
export function tensorBoardStatisticsLogger(options: TensorBoardLoggerOptions = {}): TensorBoardStatisticsLogger {
  return new TensorBoardStatisticsLogger(options);
}
