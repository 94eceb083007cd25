// What earlyStopping, reduceLearningRateOnPlateau and modelCheckpoint watch: one
// statistic of one phase at the end of each epoch, and whether it improved.
//   monitor: 'validation.loss' (the default), 'validation.accuracy', 'training.loss', …;
//            a bare name ('accuracy') means the validation phase, Keras' `val_` prefix works too.
//   mode:    'min' | 'max' | 'auto' (max for accuracy, mcc and other scores, min for losses
//            and perplexity).
// An improvement must beat the best so far by more than `minDelta`.

import { TensorLoopError } from '../../errors.js';
import type { TrainingLoopState } from '../state.js';

export type MonitorMode = 'min' | 'max' | 'auto';

export class Monitor {
  readonly phase: 'training' | 'validation';
  readonly metric: string;
  readonly mode: 'min' | 'max';
  best: number;
  private value: number | undefined;

  constructor(
    readonly owner: string,
    monitor: string,
    mode: MonitorMode,
    readonly minDelta: number,
  ) {
    if (typeof monitor !== 'string' || monitor === '') throw new TensorLoopError(`${owner}: monitor must be a name like 'validation.loss', got ${String(monitor)}`);
    if (!['min', 'max', 'auto'].includes(mode)) throw new TensorLoopError(`${owner}: mode must be 'min', 'max' or 'auto', got '${mode}'`);
    if (!(minDelta >= 0)) throw new TensorLoopError(`${owner}: minDelta must be ≥ 0, got ${minDelta}`);
    const dot = monitor.indexOf('.');
    if (dot >= 0) {
      const phase = monitor.slice(0, dot);
      if (phase !== 'training' && phase !== 'validation') throw new TensorLoopError(`${owner}: monitor '${monitor}' must start with 'training.' or 'validation.'`);
      this.phase = phase;
      this.metric = monitor.slice(dot + 1);
    } else {
      this.phase = 'validation';
      this.metric = monitor.startsWith('val_') ? monitor.slice(4) : monitor;
    }
    this.mode = mode !== 'auto' ? mode : /loss|perplexity|error/i.test(this.metric) ? 'min' : 'max';
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  get name(): string {
    return `${this.phase}.${this.metric}`;
  }

  /** Forgets the best value (at fitStart, unless resuming). */
  reset(): void {
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.value = undefined;
  }

  /** The best value as a checkpoint's JSON holds it (null: none yet). */
  savedBest(): number | null {
    return Number.isFinite(this.best) ? this.best : null;
  }

  /** Sets the best value from savedBest() (at a resume). */
  restoreBest(value: number | null | undefined): void {
    this.best = typeof value === 'number' ? value : this.mode === 'min' ? Infinity : -Infinity;
  }

  /** Reads the statistic at the end of its phase (call at trainingEnd and validationEnd). */
  observe(loop: TrainingLoopState, phase: 'training' | 'validation'): void {
    if (phase !== this.phase) return;
    const log = loop.lastStatsLog ?? [];
    const entry = log.find((s) => s.name === this.metric);
    if (!entry) {
      if (log.length === 0) return; // the phase was cancelled before any statistics
      throw new TensorLoopError(`${this.owner}: monitor '${this.name}' is not among the ${phase} statistics (${log.map((s) => s.name).join(', ')})`);
    }
    this.value = entry.value;
  }

  /** The epoch's value (undefined when its phase did not run), taken once. */
  take(): number | undefined {
    const v = this.value;
    this.value = undefined;
    return v;
  }

  /** Whether `value` beats the best by more than minDelta (a NaN never does). */
  improves(value: number): boolean {
    return this.mode === 'min' ? value < this.best - this.minDelta : value > this.best + this.minDelta;
  }
}
