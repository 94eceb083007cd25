// RMSProp (Hinton's lecture 6e), as in Swift for TensorFlow and Keras: a running mean of
// squared gradients scales each step.
//   s ← ρs + (1−ρ)g²;   p ← p − η·g / (√s + ε)

import { add, div, mul, sqrt, square, sub } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { type ParameterSource, type SlotState, Optimizer, checkHyperparameter } from './optimizer.js';
import { checkOptions } from '../options.js';

export interface RMSPropOptions {
  learningRate?: number;
  /** ρ, the decay of the running mean, default 0.9. */
  rho?: number;
  epsilon?: number;
}

export interface RMSPropHyperparameters {
  learningRate: number;
  rho: number;
  epsilon: number;
}

/** The RMSProp update of one parameter: new parameter and mean square from old. */
export function rmspropUpdate(param: Tensor, grad: Tensor, meanSquare: Tensor, h: RMSPropHyperparameters): { param: Tensor; meanSquare: Tensor } {
  const s = add(mul(meanSquare, h.rho), mul(square(grad), 1 - h.rho));
  const step = div(grad, add(sqrt(s), h.epsilon));
  return { param: sub(param, mul(step, h.learningRate)), meanSquare: s };
}

export class RMSProp extends Optimizer {
  rho: number;
  epsilon: number;
  protected readonly slotNames: readonly string[] = ['meanSquare'];

  constructor(model: ParameterSource, options: RMSPropOptions = {}) {
    checkOptions('RMSProp', options, ['learningRate', 'rho', 'epsilon']);
    const { learningRate = 1e-3, rho = 0.9, epsilon = 1e-8 } = options;
    super(model, learningRate);
    checkHyperparameter('RMSProp', 'rho', rho, 0, 1);
    checkHyperparameter('RMSProp', 'epsilon', epsilon, 0, Infinity);
    this.rho = rho;
    this.epsilon = epsilon;
  }

  hyperparameters(): Record<string, number | boolean> {
    return { rho: this.rho, epsilon: this.epsilon };
  }

  protected updateParameter(param: Tensor, grad: Tensor, state: SlotState): { param: Tensor; state: SlotState } {
    const next = rmspropUpdate(param, grad, state.meanSquare!, { learningRate: this.learningRate, rho: this.rho, epsilon: this.epsilon });
    return { param: next.param, state: { meanSquare: next.meanSquare } };
  }
}
