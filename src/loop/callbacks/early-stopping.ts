// `earlyStopping({monitor, mode, patience, minDelta, restoreBestWeights})`: stops the fit
// (cancelFit at epochEnd, so fitEnd still runs) once the monitored statistic has not
// improved for `patience` epochs in a row, as Keras' EarlyStopping. With
// `restoreBestWeights` the model gets back the weights of its best epoch when it stops
// (or when the fit ends). The snapshot costs no copy: views of the parameters' storage,
// which the optimizer replaces rather than overwrites (see Optimizer.update).

import { keep } from '../../memory.js';
import { checkOptions } from '../../options.js';
import type { Tensor } from '../../tensor.js';
import { TrainingLoopAction } from '../actions.js';
import type { TrainingLoopState } from '../state.js';
import { Monitor, type MonitorMode } from './monitor.js';
import type { CallbackState } from '../resume-state.js';
import { TensorLoopError } from '../../errors.js';

export interface EarlyStoppingOptions {
  /** Default 'validation.loss' (see monitor.ts). */
  monitor?: string;
  mode?: MonitorMode;
  /** Stops after this many epochs in a row without improvement (default 0, which stops at the first, as 1). */
  patience?: number;
  minDelta?: number;
  restoreBestWeights?: boolean;
  /** Where the one line saying why it stopped goes (default console.log). */
  log?: (message: string) => void;
}

export class EarlyStopping {
  readonly name = 'EarlyStopping';
  readonly monitor: Monitor;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  /** The epoch (0-based) at which it stopped the fit, or undefined. */
  stoppedEpoch: number | undefined;
  /** The 0-based epoch of the best value. */
  bestEpoch: number | undefined;
  private wait = 0;
  private best: [string, Tensor][] | undefined;
  private readonly log: (message: string) => void;

  constructor(options: EarlyStoppingOptions = {}) {
    const { monitor = 'validation.loss', mode = 'auto', patience = 0, minDelta = 0, restoreBestWeights = false, log = (m: string) => console.log(m) } = checkOptions('earlyStopping', options, [
      'monitor',
      'mode',
      'patience',
      'minDelta',
      'restoreBestWeights',
      'log',
    ]);
    if (!(Number.isInteger(patience) && patience >= 0)) throw new TensorLoopError(`earlyStopping: patience must be an integer ≥ 0, got ${patience}`);
    this.monitor = new Monitor('earlyStopping', monitor, mode, minDelta);
    this.patience = patience;
    this.restoreBestWeights = restoreBestWeights;
    this.log = log;
  }

  onFitStart(): void {
    this.monitor.reset();
    this.wait = 0;
    this.stoppedEpoch = undefined;
    this.bestEpoch = undefined;
    this.dropSnapshot();
  }

  /** What a checkpoint keeps for an exact resume (see resume-state.ts); the best weights
   * of restoreBestWeights are not kept: after a resume only later epochs can be restored. */
  checkpointState(): CallbackState {
    return { best: this.monitor.savedBest(), wait: this.wait, bestEpoch: this.bestEpoch ?? null };
  }

  restoreCheckpointState(state: CallbackState): void {
    this.monitor.restoreBest(state.best);
    this.wait = state.wait ?? 0;
    this.bestEpoch = state.bestEpoch ?? undefined;
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
    if (this.monitor.improves(value)) {
      this.monitor.best = value;
      this.bestEpoch = loop.epochIndex;
      this.wait = 0;
      if (this.restoreBestWeights && loop.model) {
        this.dropSnapshot();
        this.best = [...loop.model.namedParameters()].map(([path, t]) => [path, keep(t.view(t.shape))]);
      }
      return;
    }
    this.wait += 1;
    if (this.wait < Math.max(1, this.patience)) return;
    this.stoppedEpoch = loop.epochIndex;
    this.restore(loop);
    this.log(
      `earlyStopping: ${this.monitor.name} has not improved on ${this.monitor.best} (epoch ${(this.bestEpoch ?? 0) + 1}) for ${this.wait} epoch(s); stopping` +
        (this.restoreBestWeights ? ' with the best weights restored' : ''),
    );
    throw TrainingLoopAction.cancelFit;
  }

  onFitEnd(loop: TrainingLoopState): void {
    if (this.stoppedEpoch === undefined) this.restore(loop);
    this.dropSnapshot();
  }

  private restore(loop: TrainingLoopState): void {
    if (!this.best || !loop.model) return;
    const params = new Map(loop.model.namedParameters());
    for (const [path, saved] of this.best) params.get(path)?.assign(saved.view(saved.shape));
  }

  private dropSnapshot(): void {
    for (const [, t] of this.best ?? []) t.dispose();
    this.best = undefined;
  }
}

export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping {
  return new EarlyStopping(options);
}
