// `learningRateScheduler({schedule})`: the callback that sets `loop.optimizer.learningRate`
// from a schedule at every training `batchStart` (before that batch's forward pass), with
// the 0-based step epochIndex·batchCount + batchIndex over a run of batchCount·epochCount
// steps (as in S4TF). Differences, on purpose: the run length is taken again at
// every fit (S4TF kept the first fit's), the schedule is built once per fit, and the
// optional bias correction is Adam's, sqrt(1 − β2^t)/(1 − β1^t) with t = step + 1 (S4TF's
// formula used the 0-based step and β1 − β2^t, giving 0 at step 0).

import { TensorLoopError } from '../../errors.js';
import type { TrainingLoopState } from '../state.js';
import type { LearningRateSchedule } from './learning-rate-schedule.js';
import { checkOptions } from '../../options.js';

export interface LearningRateSchedulerOptions {
  schedule: (totalStepCount: number) => LearningRateSchedule;
  /** [β1, β2] to fold Adam's bias correction into the rate. */
  biasCorrectionBeta?: readonly [number, number];
}

/** The 0-based step of the current training batch in a run of `total` steps
 * (batchCount · epochCount; the same whether the run was resumed or not). */
export function scheduleStep(loop: TrainingLoopState): { step: number; total: number } {
  const batchCount = loop.batchCount ?? 1;
  return { step: (loop.epochIndex ?? 0) * batchCount + (loop.batchIndex ?? 0), total: batchCount * (loop.epochCount ?? 1) };
}

/** Sets the optimizer's learning rate from a schedule before each training batch. */
export class LearningRateScheduler {
  readonly name = 'LearningRateScheduler';
  private readonly schedule: (totalStepCount: number) => LearningRateSchedule;
  private readonly biasCorrectionBeta: readonly [number, number] | undefined;
  private built: LearningRateSchedule | undefined;

  constructor(options: LearningRateSchedulerOptions) {
    const { schedule, biasCorrectionBeta } = checkOptions('learningRateScheduler', options, ['schedule', 'biasCorrectionBeta']);
    if (typeof schedule !== 'function') throw new TensorLoopError('learningRateScheduler: schedule must be makeSchedule([...segments])');
    this.schedule = schedule;
    this.biasCorrectionBeta = biasCorrectionBeta;
  }

  onFitStart(): void {
    this.built = undefined;
  }

  onBatchStart(loop: TrainingLoopState): void {
    if (!loop.isTraining) return;
    const { step, total } = scheduleStep(loop);
    this.built ??= this.schedule(total);
    let rate = this.built.rate(step);
    if (this.biasCorrectionBeta) {
      const [beta1, beta2] = this.biasCorrectionBeta;
      const t = step + 1;
      rate *= Math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t);
    }
    loop.optimizer.learningRate = rate;
  }
}

/** S4TF's name for `new LearningRateScheduler(options)`. */
export function learningRateScheduler(options: LearningRateSchedulerOptions): LearningRateScheduler {
  return new LearningRateScheduler(options);
}
