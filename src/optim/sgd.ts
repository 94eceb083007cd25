// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight
// decay, in PyTorch's formulation (the velocity holds gradients, the learning rate is
// applied at the end, so a changing learning rate acts at once):
//   g ← g + λ·p;   b ← μ·b + g;   step = nesterov ? g + μ·b : b;   p ← p − η·step
// Every device runs the rule as one fused in-place op per parameter (applySGDUpdate);
// sgdUpdate writes it out with elementwise ops, the definition the kernels are tested against.

import { add, mul, sub } from '../ops/elementwise.js';
import { TensorLoopError } from '../errors.js';
import { type SGDUpdateHyperparameters, applySGDUpdate } from '../ops/optimizer-updates.js';
import type { Tensor } from '../tensor.js';
import { type ParameterSource, type SlotState, Optimizer, checkHyperparameter } from './optimizer.js';
import { checkOptions } from '../options.js';

export interface SGDOptions {
  learningRate?: number;
  /** μ, default 0 (plain SGD, no state). */
  momentum?: number;
  nesterov?: boolean;
  /** λ, L2 penalty added to the gradient, default 0. */
  weightDecay?: number;
}

/** The hyperparameters of one SGD step (one type for the reference rule and the fused kernel). */
export type SGDHyperparameters = SGDUpdateHyperparameters;

/** The SGD update of one parameter: new parameter and momentum buffer (or none). */
export function sgdUpdate(param: Tensor, grad: Tensor, velocity: Tensor | undefined, h: SGDHyperparameters): { param: Tensor; velocity?: Tensor } {
  const g = h.weightDecay !== 0 ? add(grad, mul(param, h.weightDecay)) : grad;
  if (!velocity) return { param: sub(param, mul(g, h.learningRate)) };
  const b = add(mul(velocity, h.momentum), g);
  const step = h.nesterov ? add(g, mul(b, h.momentum)) : b;
  return { param: sub(param, mul(step, h.learningRate)), velocity: b };
}

export class SGD extends Optimizer {
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  protected readonly slotNames: readonly string[];

  constructor(model: ParameterSource, options: SGDOptions = {}) {
    checkOptions('SGD', options, ['learningRate', 'momentum', 'nesterov', 'weightDecay']);
    const { learningRate = 0.01, momentum = 0, nesterov = false, weightDecay = 0 } = options;
    super(model, learningRate);
    this.checkHyperparameters({ momentum, nesterov, weightDecay });
    this.momentum = momentum;
    this.nesterov = nesterov;
    this.weightDecay = weightDecay;
    this.slotNames = momentum > 0 ? ['velocity'] : [];
  }

  hyperparameters(): Record<string, number | boolean> {
    return { momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }

  protected checkHyperparameters(h: Record<string, number | boolean>): void {
    checkHyperparameter('SGD', 'momentum', h.momentum as number, 0, Infinity);
    checkHyperparameter('SGD', 'weightDecay', h.weightDecay as number, 0, Infinity);
    if (h.nesterov && h.momentum === 0) throw new TensorLoopError('SGD: nesterov needs a momentum above 0');
    // the slots are fixed at construction (slotNames is unset while the constructor checks)
    if (this.slotNames && (h.momentum as number) > 0 !== this.slotNames.includes('velocity')) {
      throw new TensorLoopError(`SGD: momentum ${h.momentum} needs ${this.slotNames.length > 0 ? 'no' : 'a'} velocity state, which this SGD (momentum ${this.momentum}) ${this.slotNames.length > 0 ? 'has' : 'lacks'}; construct it with a matching momentum`);
    }
  }

  protected applyUpdate(param: Tensor, grad: Tensor, state: SlotState): void {
    const h = { learningRate: this.learningRate, momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay };
    applySGDUpdate(param, grad, state.velocity ?? null, h);
  }
}
