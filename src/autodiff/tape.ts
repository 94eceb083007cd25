// The tape: while a gradient is being taken, every differentiable op appends one entry
// (its inputs, its output, and its vector-Jacobian product rule). backward.ts walks the
// entries in reverse. Ops call `record`; nothing is recorded when no tape is active or
// when no input depends on a watched tensor, so inference pays nothing.
//
// Tapes nest: a gradient taken inside the function of another gradient has its own tape,
// and the ops of its backward pass are recorded on the outer tapes, so the gradient rules
// (written with ops) are themselves differentiated: higher-order gradients.

import type { Tensor } from '../tensor.js';

/** Given the gradient `dy` of the output, returns the gradient for each input (or null
 * where `needs[i]` is false: branches that need no gradient are skipped). */
export type VectorJacobianProduct = (dy: Tensor, needs: readonly boolean[]) => readonly (Tensor | null | undefined)[];

export interface TapeEntry {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly vjp: VectorJacobianProduct;
}

export class Tape {
  readonly entries: TapeEntry[] = [];
  /** Tensors whose gradient is wanted, and every float tensor computed from them. */
  readonly tracked = new Set<Tensor>();

  watch(t: Tensor): void {
    this.tracked.add(t);
  }
}

const activeTapes: Tape[] = [];
/** Tapes below this index are paused (by noGrad); tapes pushed inside noGrad still record. */
let recordFrom = 0;

export function pushTape(tape: Tape): void {
  activeTapes.push(tape);
}

export function popTape(tape: Tape): void {
  if (activeTapes.pop() !== tape) throw new Error('popTape: tapes closed out of order');
}

/** Records one op on every active tape that watches one of its inputs. */
export function record(op: string, inputs: readonly Tensor[], output: Tensor, vjp: VectorJacobianProduct): void {
  if (activeTapes.length <= recordFrom || output.dtype !== 'float32') return;
  for (let i = recordFrom; i < activeTapes.length; i++) {
    const tape = activeTapes[i]!;
    if (inputs.some((x) => tape.tracked.has(x))) {
      tape.tracked.add(output);
      tape.entries.push({ op, inputs, output, vjp });
    }
  }
}

/** Runs `fn` with recording off: nothing inside is differentiated by the gradients being
 * taken around it (a gradient taken inside `fn` still works). */
export function noGrad<T>(fn: () => T): T {
  const saved = recordFrom;
  recordFrom = activeTapes.length;
  try {
    return fn();
  } finally {
    recordFrom = saved;
  }
}

/** True while ops are being recorded (a gradient is being taken and not paused). */
export function isRecording(): boolean {
  return activeTapes.length > recordFrom;
}
