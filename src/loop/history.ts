// What `fit` returns: the per-epoch statistics of both phases and the learning rate, as
// Keras' History. Filled by a callback on the public interface (HistoryRecorder), which
// the loop runs for the length of each fit:
//   const history = await loop.fit(model, {epochs: 5});
//   history.validation.accuracy   [0.91, 0.94, …]   one value per epoch run
//   history.epochCount            5 (fewer when a callback stopped the fit early)
// An epoch whose phase was cancelled before any statistics gets NaN in that phase's
// lists, so every list has one entry per epoch.

import type { TrainingLoopState } from './state.js';

export class History {
  /** The 0-based index of each epoch run (they start at the fit's initialEpoch). */
  readonly epochs: number[] = [];
  /** Metric name → one value per epoch, at the end of the training phase (running mean over its batches). */
  readonly training: Record<string, number[]> = {};
  /** Metric name → one value per epoch, over the whole validation set. */
  readonly validation: Record<string, number[]> = {};
  /** The optimizer's learning rate at the end of each epoch's training phase (for the
   * last batch when a callback sets it per batch). */
  readonly learningRate: number[] = [];

  /** How many epochs ran. */
  get epochCount(): number {
    return this.epochs.length;
  }

  /** Every statistic of `phase` at the last epoch: `history.lastEpoch('validation').accuracy`. */
  lastEpoch(phase: 'training' | 'validation'): Record<string, number> {
    return Object.fromEntries(Object.entries(this[phase]).map(([name, values]) => [name, values.at(-1) ?? Number.NaN]));
  }

  /** The last epoch's value of `name` in `phase` (NaN when absent). */
  last(phase: 'training' | 'validation', name: string): number {
    return this[phase][name]?.at(-1) ?? Number.NaN;
  }
}

/** Collects a History. The loop calls it before every other callback, so that an epoch
 * another callback ends with cancelFit at epochEnd (earlyStopping) still counts: it reads
 * the training statistics at validationStart and the validation ones at epochEnd, each
 * already final then. */
export class HistoryRecorder {
  readonly name = 'History';
  readonly history = new History();
  private training: Map<string, number> | undefined;
  private learningRate: number | undefined;
  private validating = false;

  onEpochStart(): void {
    this.training = undefined;
    this.learningRate = undefined;
    this.validating = false;
  }

  onValidationStart(loop: TrainingLoopState): void {
    if (loop.epochIndex === undefined) return; // loop.evaluate
    this.training = statistics(loop);
    this.learningRate = loop.optimizer.learningRate;
    this.validating = true;
  }

  onEpochEnd(loop: TrainingLoopState): void {
    const h = this.history;
    const n = h.epochs.length;
    // without a validation phase (cancelled epoch), the statistics at hand are the training ones
    const values = { training: this.validating ? this.training : statistics(loop), validation: this.validating ? statistics(loop) : undefined };
    h.epochs.push(loop.epochIndex ?? n);
    h.learningRate.push(this.learningRate ?? loop.optimizer.learningRate);
    for (const phase of ['training', 'validation'] as const) {
      const got = values[phase] ?? new Map<string, number>();
      const table = h[phase];
      for (const name of got.keys()) table[name] ??= Array<number>(n).fill(Number.NaN);
      for (const [name, list] of Object.entries(table)) list.push(got.get(name) ?? Number.NaN);
    }
  }
}

function statistics(loop: TrainingLoopState): Map<string, number> {
  return new Map((loop.lastStatsLog ?? []).map((s) => [s.name, s.value]));
}
