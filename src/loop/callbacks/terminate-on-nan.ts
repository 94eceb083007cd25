// `terminateOnNaN()`: stops the fit (cancelFit, so fitEnd still runs and the logs are
// flushed) at the first training batch whose running loss is NaN or infinite, as Keras'
// TerminateOnNaN. It reads the loss the statistics recorder already measured, so it adds
// no readback; with the endOfEpoch report trigger it notices at the end of the phase.

import { TrainingLoopAction } from '../actions.js';
import { describePosition } from '../callback.js';
import type { TrainingLoopState } from '../state.js';
import { checkOptions } from '../../options.js';

export interface TerminateOnNaNOptions {
  /** Where the one line saying why goes (default console.warn). */
  log?: (message: string) => void;
}

export class TerminateOnNaN {
  readonly name = 'TerminateOnNaN';
  private readonly log: (message: string) => void;

  constructor(options: TerminateOnNaNOptions = {}) {
    const { log = (message: string) => console.warn(message) } = checkOptions('terminateOnNaN', options, ['log']);
    this.log = log;
  }

  onBatchEnd(loop: TrainingLoopState): void {
    if (loop.isTraining) this.check(loop);
  }

  onTrainingEnd(loop: TrainingLoopState): void {
    this.check(loop);
  }

  private check(loop: TrainingLoopState): void {
    const loss = loop.lastStatsLog?.find((s) => s.name === 'loss')?.value;
    if (loss === undefined || Number.isFinite(loss)) return;
    this.log(`terminateOnNaN: the training loss is ${loss} at ${describePosition(loop, 'batchEnd')}; stopping the fit`);
    throw TrainingLoopAction.cancelFit;
  }
}

export function terminateOnNaN(options: TerminateOnNaNOptions = {}): TerminateOnNaN {
  return new TerminateOnNaN(options);
}
