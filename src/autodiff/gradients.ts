// The public gradient functions. Each takes the gradient of a scalar function:
//   grad(f)(...xs)                       → gradient for each x
//   valueAndGrad(f)(...xs)               → [f(...xs), gradients]
//   valueWithGradient(model, m => loss)  → [loss, Map path → gradient] (Swift for TensorFlow form)
// Intermediate tensors of the forward and backward passes are freed before returning.
// Gradients nest: grad(x => sum(grad(f)(x)[0])) differentiates f's gradient (backward.ts).

import { TensorLoopError, describeValue, shapeString } from '../errors.js';
import { endScope, startScope } from '../memory.js';
import { Tensor, ones, zeros } from '../tensor.js';
import { backward } from './backward.js';
import { Tape, isRecording, popTape, pushTape } from './tape.js';

/** Anything with named parameters: a Module, or a plain list of them. */
export interface Differentiable {
  namedParameters(): [string, Tensor][];
}

/** Parameter gradients keyed by the parameter's dotted path. */
export type Gradients = Map<string, Tensor>;

function takeGradients(inputs: readonly Tensor[], f: () => Tensor, op: string, keepValue = true): [Tensor, Tensor[]] {
  const tape = new Tape();
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new TensorLoopError(`${op}: argument ${i} must be a Tensor, got ${describeValue(x)}`);
    if (x.dtype !== 'float32') throw new TensorLoopError(`${op}: cannot differentiate with respect to an ${x.dtype} tensor`);
    tape.watch(x);
  });
  // Inside an outer gradient the outer tape refers to this one's intermediates (its
  // forward pass and the backward ops recorded on it): they join the outer gradient's
  // scope, freed once that gradient is taken.
  const nested = isRecording();
  if (!nested) startScope();
  try {
    pushTape(tape);
    let value: Tensor;
    try {
      value = f();
    } finally {
      popTape(tape);
    }
    if (!(value instanceof Tensor)) {
      throw new TensorLoopError(`${op}: the function must return a scalar Tensor, got ${describeValue(value)}`);
    }
    if (value.size !== 1) {
      throw new TensorLoopError(`${op}: the function must return a scalar, got shape ${shapeString(value.shape)}`);
    }
    const grads = backward(tape, value, ones(value.shape, { device: value.device }));
    const result: [Tensor, Tensor[]] = [value, inputs.map((x) => grads.get(x) ?? zeros(x.shape, { device: x.device }))];
    // without the value in what the scope returns, the scope frees it (when f made it)
    if (!nested) endScope(keepValue ? result : result[1]);
    return result;
  } catch (error) {
    if (!nested) endScope();
    throw error;
  }
}

function assertFunction(op: string, f: unknown): void {
  if (typeof f !== 'function') throw new TensorLoopError(`${op}: expected a function, got ${describeValue(f)}`);
}

/** `grad(f)(...xs)`: the gradient of scalar f with respect to each argument. */
export function grad(f: (...xs: Tensor[]) => Tensor): (...xs: Tensor[]) => Tensor[] {
  assertFunction('grad', f);
  return (...xs) => takeGradients(xs, () => f(...xs), 'grad', false)[1];
}

/** `valueAndGrad(f)(...xs)`: [f(...xs), gradient for each argument]. */
export function valueAndGrad(f: (...xs: Tensor[]) => Tensor): (...xs: Tensor[]) => [Tensor, Tensor[]] {
  assertFunction('valueAndGrad', f);
  return (...xs) => takeGradients(xs, () => f(...xs), 'valueAndGrad');
}

/** `valueWithGradient(model, m => loss)`: the loss and one gradient per parameter path. */
export function valueWithGradient<M extends Differentiable>(model: M, f: (model: M) => Tensor): [Tensor, Gradients] {
  assertFunction('valueWithGradient', f);
  if (typeof model?.namedParameters !== 'function') {
    throw new TensorLoopError(`valueWithGradient: expected a model with namedParameters(), got ${describeValue(model)}`);
  }
  const named = model.namedParameters();
  const [value, grads] = takeGradients(named.map(([, t]) => t), () => f(model), 'valueWithGradient');
  return [value, new Map(named.map(([path], i) => [path, grads[i]!]))];
}
