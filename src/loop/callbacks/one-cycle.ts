// `oneCycle({maxRate})`: fastai's one-cycle policy as two cosine ScheduleSegments over the
// whole run: the learning rate rises from maxRate/startDivisor to maxRate over the first
// `warmupFraction` of the steps, then anneals to maxRate/finalDivisor at the last step.
// The momentum (SGD's `momentum`, Adam's `beta1`) moves the other way, high → low → high
// (default 0.95 → 0.85 → 0.95), when the optimizer has one above 0. Set at every training
// batchStart, like learningRateScheduler.

import { TensorLoopError } from '../../errors.js';
import { checkOptions } from '../../options.js';
import type { TrainingLoopState } from '../state.js';
import { type LearningRateSchedule, ScheduleSegment, cosine, makeSchedule } from './learning-rate-schedule.js';
import { scheduleStep } from './learning-rate-scheduler.js';

export interface OneCycleOptions {
  maxRate: number;
  /** The first rate is maxRate / startDivisor (default 25). */
  startDivisor?: number;
  /** The last rate is maxRate / finalDivisor (default 1e4). */
  finalDivisor?: number;
  /** The share of the run spent rising (default 0.25). */
  warmupFraction?: number;
  /** [high, low] momentum (default [0.95, 0.85]); false leaves the momentum alone. */
  momentum?: readonly [number, number] | false;
}

/** Two cosine segments: `start → peak` over `warmupFraction` of the run, then `peak → end`. */
function cycle(start: number, peak: number, end: number, warmupFraction: number): (total: number) => LearningRateSchedule {
  return (total) =>
    makeSchedule([
      // at least 2 steps (start and peak) when the run has room for a decay step after
      new ScheduleSegment({ shape: cosine, startRate: start, endRate: peak, stepCount: Math.max(1, Math.min(total - 1, Math.max(2, Math.round(warmupFraction * total)))) }),
      new ScheduleSegment({ shape: cosine, endRate: end }),
    ])(total);
}

export class OneCycle {
  readonly name = 'OneCycle';
  private readonly rates: (total: number) => LearningRateSchedule;
  private readonly momenta: ((total: number) => LearningRateSchedule) | undefined;
  private built: { total: number; rates: LearningRateSchedule; momenta?: LearningRateSchedule } | undefined;

  constructor(options: OneCycleOptions) {
    const { maxRate, startDivisor = 25, finalDivisor = 1e4, warmupFraction = 0.25, momentum = [0.95, 0.85] } = checkOptions('oneCycle', options, [
      'maxRate',
      'startDivisor',
      'finalDivisor',
      'warmupFraction',
      'momentum',
    ]);
    if (!(maxRate > 0 && Number.isFinite(maxRate))) throw new TensorLoopError(`oneCycle: maxRate must be a finite number > 0, got ${maxRate}`);
    if (!(startDivisor >= 1) || !(finalDivisor >= 1)) throw new TensorLoopError(`oneCycle: startDivisor and finalDivisor must be ≥ 1, got ${startDivisor} and ${finalDivisor}`);
    if (!(warmupFraction > 0 && warmupFraction < 1)) throw new TensorLoopError(`oneCycle: warmupFraction must be in (0, 1), got ${warmupFraction}`);
    if (momentum !== false && !(momentum.length === 2 && momentum.every((m) => m >= 0 && m < 1))) {
      throw new TensorLoopError(`oneCycle: momentum must be [high, low] in [0, 1), or false; got ${JSON.stringify(momentum)}`);
    }
    this.rates = cycle(maxRate / startDivisor, maxRate, maxRate / finalDivisor, warmupFraction);
    this.momenta = momentum === false ? undefined : cycle(momentum[0], momentum[1], momentum[0], warmupFraction);
  }

  onFitStart(): void {
    this.built = undefined;
  }

  onBatchStart(loop: TrainingLoopState): void {
    if (!loop.isTraining) return;
    const { step, total } = scheduleStep(loop);
    if (this.built?.total !== total) this.built = { total, rates: this.rates(total), momenta: this.momenta?.(total) };
    loop.optimizer.learningRate = this.built.rates.rate(step);
    if (!this.built.momenta) return;
    const optimizer = loop.optimizer as unknown as Record<string, unknown>;
    const key = typeof optimizer.momentum === 'number' && optimizer.momentum > 0 ? 'momentum' : typeof optimizer.beta1 === 'number' ? 'beta1' : undefined;
    if (key) optimizer[key] = this.built.momenta.rate(step);
  }
}

export function oneCycle(options: OneCycleOptions): OneCycle {
  return new OneCycle(options);
}
