// Ctrl-C during fit (Node only; a browser has no signals, and calls loop.requestStop()
// from a button instead). While a fit runs, the first SIGINT asks the loop to stop after
// the current batch: the end events fire as usual (batchEnd, trainingEnd, epochEnd,
// fitEnd), the loggers flush, a modelCheckpoint callback saves a checkpoint to resume from
// and prints how. A second SIGINT exits at once with status 130 (128 + SIGINT), as a shell
// does. The handler exists only while fit runs: outside it, Ctrl-C is Node's own again.

import { exitProcess, onProcessSignal } from '../platform.js';

export interface Interruptible {
  requestStop(): void;
}

/** Installs the SIGINT handler for one fit; returns what removes it. */
export function handleInterrupts(loop: Interruptible, log: (message: string) => void = (m) => console.log(m)): () => void {
  let count = 0;
  return onProcessSignal('SIGINT', () => {
    count += 1;
    if (count > 1) {
      log('\nInterrupted again: exiting now.');
      exitProcess(130);
      return;
    }
    log('\nInterrupted: stopping after the current batch (press Ctrl-C again to exit at once).');
    loop.requestStop();
  });
}
