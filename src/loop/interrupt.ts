// Ctrl-C during fit (Node only; a browser has no signals, and calls loop.requestStop()
// from a button instead). While a fit runs, the first SIGINT asks the loop to stop after
// the current batch: the end events fire as usual (batchEnd, trainingEnd, epochEnd,
// fitEnd), the loggers flush, a modelCheckpoint callback saves a checkpoint to resume from
// and prints how. A second SIGINT exits at once with status 130 (128 + SIGINT), as a shell
// does. The handler exists only while fit runs: outside it, Ctrl-C is Node's own again.

import { exitProcess, onProcessSignal } from '../platform.js';

export interface Interruptible {
  requestStop(): void;
  readonly callbacks: readonly unknown[];
}

/** Installs the SIGINT handler for one fit; returns what removes it (call it when the fit
 * ends, before its own callbacks are dropped: it says so when nothing was saved). */
export function handleInterrupts(loop: Interruptible, log: (message: string) => void = (m) => console.log(m)): () => void {
  let count = 0;
  const remove = onProcessSignal('SIGINT', () => {
    count += 1;
    if (count > 1) {
      log('\nInterrupted again: exiting now.');
      exitProcess(130);
      return;
    }
    log('\nInterrupted: stopping after the current batch (press Ctrl-C again to exit at once).');
    loop.requestStop();
  });
  return () => {
    remove();
    const saving = loop.callbacks.some((c) => (c as { name?: unknown } | null)?.name === 'ModelCheckpoint');
    if (count > 0 && !saving) log('Stopped. Nothing was saved to resume from: with modelCheckpoint({dir}) among the callbacks, Ctrl-C saves a checkpoint and prints how to continue.');
  };
}
