// `reduceLearningRateOnPlateau({monitor, factor, patience, minRate})`: multiplies the
// optimizer's learning rate by `factor` (default 0.1) once the monitored statistic has not
// improved for `patience` epochs (default 10), then waits `cooldown` epochs before
// counting again; never below `minRate`. As Keras' ReduceLROnPlateau. It changes the rate
// at epochEnd; a learning-rate scheduler in the same loop would overwrite it at the next
// batch, so use one or the other.

import { TensorLoopError } from '../../errors.js';
import { checkOptions } from '../../options.js';
import type { TrainingLoopState } from '../state.js';
import { Monitor, type MonitorMode } from './monitor.js';
import type { CallbackState } from '../resume-state.js';

export interface ReduceLearningRateOnPlateauOptions {
  monitor?: string;
  mode?: MonitorMode;
  factor?: number;
  patience?: number;
  minDelta?: number;
  cooldown?: number;
  minRate?: number;
  /** Where the line announcing each reduction goes (default console.log). */
  log?: (message: string) => void;
}

export class ReduceLearningRateOnPlateau {
  readonly name = 'ReduceLearningRateOnPlateau';
  readonly monitor: Monitor;
  readonly factor: number;
  readonly patience: number;
  readonly cooldown: number;
  readonly minRate: number;
  private wait = 0;
  private cooling = 0;
  private readonly log: (message: string) => void;

  constructor(options: ReduceLearningRateOnPlateauOptions = {}) {
    const {
      monitor = 'validation.loss',
      mode = 'auto',
      factor = 0.1,
      patience = 10,
      minDelta = 1e-4,
      cooldown = 0,
      minRate = 0,
      log = (m: string) => console.log(m),
    } = checkOptions('reduceLearningRateOnPlateau', options, ['monitor', 'mode', 'factor', 'patience', 'minDelta', 'cooldown', 'minRate', 'log']);
    if (!(factor > 0 && factor < 1)) throw new TensorLoopError(`reduceLearningRateOnPlateau: factor must be in (0, 1), got ${factor}`);
    for (const [name, v] of [['patience', patience], ['cooldown', cooldown]] as const) {
      if (!(Number.isInteger(v) && v >= 0)) throw new TensorLoopError(`reduceLearningRateOnPlateau: ${name} must be an integer ≥ 0, got ${v}`);
    }
    if (!(minRate >= 0)) throw new TensorLoopError(`reduceLearningRateOnPlateau: minRate must be ≥ 0, got ${minRate}`);
    this.monitor = new Monitor('reduceLearningRateOnPlateau', monitor, mode, minDelta);
    this.factor = factor;
    this.patience = patience;
    this.cooldown = cooldown;
    this.minRate = minRate;
    this.log = log;
  }

  onFitStart(): void {
    this.monitor.reset();
    this.wait = 0;
    this.cooling = 0;
  }

  /** What a checkpoint keeps for an exact resume (see resume-state.ts). */
  checkpointState(): CallbackState {
    return { best: this.monitor.savedBest(), wait: this.wait, cooling: this.cooling };
  }

  restoreCheckpointState(state: CallbackState): void {
    this.monitor.restoreBest(state.best);
    this.wait = state.wait ?? 0;
    this.cooling = state.cooling ?? 0;
  }

  onTrainingEnd(loop: TrainingLoopState): void {
    this.monitor.observe(loop, 'training');
  }

  onValidationEnd(loop: TrainingLoopState): void {
    this.monitor.observe(loop, 'validation');
  }

  onEpochEnd(loop: TrainingLoopState): void {
    const value = this.monitor.take();
    if (value === undefined) return;
    if (this.cooling > 0) this.cooling -= 1;
    if (this.monitor.improves(value)) {
      this.monitor.best = value;
      this.wait = 0;
      return;
    }
    if (this.cooling > 0) return;
    this.wait += 1;
    if (this.wait < Math.max(1, this.patience)) return;
    const old = loop.optimizer.learningRate;
    const rate = Math.max(old * this.factor, this.minRate);
    if (rate < old) {
      loop.optimizer.learningRate = rate;
      this.log(`reduceLearningRateOnPlateau: ${this.monitor.name} has not improved for ${this.wait} epoch(s); learning rate ${old} → ${rate}`);
    }
    this.wait = 0;
    this.cooling = this.cooldown;
  }
}

export function reduceLearningRateOnPlateau(options: ReduceLearningRateOnPlateauOptions = {}): ReduceLearningRateOnPlateau {
  return new ReduceLearningRateOnPlateau(options);
}
