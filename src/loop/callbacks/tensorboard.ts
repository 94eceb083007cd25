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
import type { TrainingLoopEvent } from '../events.js';
import type { TrainingLoopState } from '../state.js';
import { checkOptions } from '../../options.js';

export interface TensorBoardLoggerOptions {
  /** The root of all runs (default `run/tensorboard/stats`). */
  logdir?: string;
  /** This run's folder name (default: seconds since the epoch, with the fraction, as S4TF). */
  runName?: string;
}

export function tensorBoardStatisticsLogger(options: TensorBoardLoggerOptions = {}) {
  checkOptions('tensorBoardStatisticsLogger', options, ['logdir', 'runName']);
  const { logdir = 'run/tensorboard/stats', runName = String(Date.now() / 1000) } = options;
  const writers = new Map<'train' | 'validation', EventFileWriter>();
  const writer = (phase: 'train' | 'validation'): EventFileWriter => {
    let w = writers.get(phase);
    if (!w) writers.set(phase, (w = new EventFileWriter(join(logdir, runName, phase))));
    return w;
  };
  let lastLog: unknown;
  const callback = async (loop: TrainingLoopState, event: TrainingLoopEvent): Promise<void> => {
    const stats = loop.lastStatsLog;
    if (event === 'batchEnd' && loop.isTraining && stats && stats !== lastLog) {
      lastLog = stats;
      const step = loop.globalStep;
      for (const { name, value } of stats) writer('train').addScalar(`batch_${name}`, value, step);
    } else if ((event === 'trainingEnd' || event === 'validationEnd') && stats) {
      const phase = event === 'trainingEnd' ? 'train' : 'validation';
      for (const { name, value } of stats) writer(phase).addScalar(`epoch_${name}`, value, loop.epochIndex ?? 0);
    } else if (event === 'fitEnd') {
      await Promise.all([...writers.values()].map((w) => w.flush()));
    }
  };
  /** The run's folder (for printing where to point TensorBoard). */
  callback.runDirectory = join(logdir, runName);
  /** Waits for every queued write (also done at fitEnd). */
  callback.flush = () => Promise.all([...writers.values()].map((w) => w.flush()));
  return callback;
}
