// The backward pass: walk the tape in reverse, give each entry the gradient of its
// output, and add what its rule returns into the gradients of its inputs (fan-out sums).
// The rules are ops, so while an outer gradient is being taken (the caller has popped this
// tape, outer ones are active) they are recorded on the outer tapes like any other op.

import { TensorLoopError, shapeString } from '../errors.js';
import { add } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import type { Tape } from './tape.js';

/** Gradients of `output` (seeded with `seed`, usually ones) for every tracked tensor. */
export function backward(tape: Tape, output: Tensor, seed: Tensor): Map<Tensor, Tensor> {
  const grads = new Map<Tensor, Tensor>([[output, seed]]);
  for (let i = tape.entries.length - 1; i >= 0; i--) {
    const entry = tape.entries[i]!;
    const dy = grads.get(entry.output);
    if (!dy) continue;
    const needs = entry.inputs.map((x) => tape.tracked.has(x) && x.dtype === 'float32');
    const inputGrads = entry.vjp(dy, needs);
    entry.inputs.forEach((x, k) => {
      const g = inputGrads[k];
      if (!needs[k] || !g) return;
      if (g.shape.length !== x.shape.length || g.shape.some((d, j) => d !== x.shape[j])) {
        throw new TensorLoopError(`backward: ${entry.op} gave a gradient of shape ${shapeString(g.shape)} for an input of shape ${shapeString(x.shape)}`);
      }
      const previous = grads.get(x);
      grads.set(x, previous ? add(previous, g) : g);
    });
  }
  return grads;
}
