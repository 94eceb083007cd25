// What `fit` returns: the per-epoch statistics of both phases and the learning rate, as
// Keras' History. Filled by a callback on the public interface (HistoryRecorder), which
// the loop adds after all others for the length of each fit:
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
  /** The optimizer's learning rate at the end of each epoch's training phase. */
  readonly learningRate: number[] = [];

  /** How many epochs ran. */
  get epochCount(): number {
    return this.epochs.length;
  }

  /** The last epoch's value of `name` in `phase` (NaN when absent). */
  last(phase: 'training' | 'validation', name: string): number {
    return this[phase][name]?.at(-1) ?? Number.NaN;
  }
}

/** Collects a History from the statistics at trainingEnd, validationEnd and epochEnd. */
export class HistoryRecorder {
  readonly name = 'History';
  readonly history = new History();
  private epoch: { training?: Map<string, number>; validation?: Map<string, number>; learningRate?: number } = {};

  onEpochStart(): void {
    this.epoch = {};
  }

  onTrainingEnd(loop: TrainingLoopState): void {
    this.epoch.training = new Map((loop.lastStatsLog ?? []).map((s) => [s.name, s.value]));
    this.epoch.learningRate = loop.optimizer.learningRate;
  }

  onValidationEnd(loop: TrainingLoopState): void {
    this.epoch.validation = new Map((loop.lastStatsLog ?? []).map((s) => [s.name, s.value]));
  }

  onEpochEnd(loop: TrainingLoopState): void {
    const h = this.history;
    const n = h.epochs.length;
    h.epochs.push(loop.epochIndex ?? n);
    h.learningRate.push(this.epoch.learningRate ?? loop.optimizer.learningRate);
    for (const phase of ['training', 'validation'] as const) {
      const values = this.epoch[phase] ?? new Map<string, number>();
      const table = h[phase];
      for (const name of values.keys()) table[name] ??= Array<number>(n).fill(Number.NaN);
      for (const [name, list] of Object.entries(table)) list.push(values.get(name) ?? Number.NaN);
    }
  }
}
