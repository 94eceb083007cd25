// Activation functions by name, for layers that take `activation: 'relu'` (Dense,
// Conv2D), and the `Activation` layer that applies one in a Sequential.

import { TensorLoopError } from '../errors.js';
import { gelu, leakyRelu, relu, sigmoid, softplus, tanh } from '../ops/elementwise.js';
import type { FusedActivation } from '../ops/bias.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export type ActivationName = 'identity' | 'relu' | 'leakyRelu' | 'gelu' | 'sigmoid' | 'tanh' | 'softplus';
export type ActivationFunction = (x: Tensor) => Tensor;
export type ActivationLike = ActivationName | ActivationFunction;

const identity: ActivationFunction = (x) => x;
const ACTIVATIONS: Record<ActivationName, ActivationFunction> = { identity, relu, leakyRelu: (x) => leakyRelu(x), gelu, sigmoid, tanh, softplus };

export function activationFunction(activation: ActivationLike): ActivationFunction {
  if (typeof activation === 'function') return activation;
  const f = ACTIVATIONS[activation];
  if (!f) throw new TensorLoopError(`unknown activation '${String(activation)}'; expected one of ${Object.keys(ACTIVATIONS).join(', ')}`);
  return f;
}

/** The activation a layer can fuse with its bias add (biasActivation), or null. */
export function fusedActivation(activation: ActivationLike): FusedActivation | null {
  return activation === 'identity' || activation === 'relu' ? activation : null;
}

/** A layer that applies an activation function: `new Activation('relu')`. */
export class Activation extends Module {
  private readonly f: ActivationFunction;

  constructor(activation: ActivationLike) {
    super();
    this.f = activationFunction(activation);
  }

  forward(x: Tensor): Tensor {
    this.assertInput(x);
    return this.f(x);
  }
}
