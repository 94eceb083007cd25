// RMSProp (Hinton's lecture 6e): a running mean of squared gradients scales each step. As
// in PyTorch, optionally centered (divide by the running variance s − ḡ² instead) and with
// momentum on the scaled step:
//   s ← ρs + (1−ρ)g²;   centered: ḡ ← ρḡ + (1−ρ)g,  d = √(s − ḡ²) + ε;  else d = √s + ε
//   momentum μ > 0: b ← μb + g/d,  p ← p − η·b;   else p ← p − η·g/d
// ρ is PyTorch's `alpha`; its default here is 0.9 (Keras, Swift for TensorFlow), PyTorch's 0.99.
// Every device runs the rule as one fused in-place op per parameter (applyRMSPropUpdate);
// rmspropUpdate writes it out with elementwise ops, the definition the kernels are tested against.

import { TensorLoopError } from '../errors.js';
import { add, div, mul, sqrt, square, sub } from '../ops/elementwise.js';
import { type RMSPropUpdateHyperparameters, applyRMSPropUpdate } from '../ops/optimizer-updates.js';
import type { Tensor } from '../tensor.js';
import { type ParameterSource, type SlotState, Optimizer, checkHyperparameter } from './optimizer.js';
import { checkOptions } from '../options.js';

export interface RMSPropOptions {
  learningRate?: number;
  /** ρ, the decay of the running means, default 0.9. */
  rho?: number;
  epsilon?: number;
  /** μ, default 0 (no velocity state). */
  momentum?: number;
  /** Normalize by the running variance of the gradient, default false. */
  centered?: boolean;
}

/** The hyperparameters of one RMSProp step (one type for the reference rule and the fused kernel). */
export type RMSPropHyperparameters = RMSPropUpdateHyperparameters;

/** RMSProp's state of one parameter, as the reference rule takes and returns it. */
export interface RMSPropState {
  meanSquare: Tensor;
  /** Only when centered. */
  meanGradient?: Tensor | undefined;
  /** Only with momentum. */
  velocity?: Tensor | undefined;
}

/** The RMSProp update of one parameter: new parameter and state from old. */
export function rmspropUpdate(param: Tensor, grad: Tensor, state: RMSPropState, h: RMSPropHyperparameters): { param: Tensor; state: RMSPropState } {
  const meanSquare = add(mul(state.meanSquare, h.rho), mul(square(grad), 1 - h.rho));
  const meanGradient = h.centered ? add(mul(state.meanGradient!, h.rho), mul(grad, 1 - h.rho)) : undefined;
  const variance = meanGradient ? sub(meanSquare, square(meanGradient)) : meanSquare;
  const ratio = div(grad, add(sqrt(variance), h.epsilon));
  const velocity = h.momentum > 0 ? add(mul(state.velocity!, h.momentum), ratio) : undefined;
  return { param: sub(param, mul(velocity ?? ratio, h.learningRate)), state: { meanSquare, meanGradient, velocity } };
}

export class RMSProp extends Optimizer {
  rho: number;
  epsilon: number;
  /** Whether it is 0 decides whether there is a velocity slot: fixed at construction. */
  readonly momentum: number;
  /** Fixed at construction: it decides whether there is a meanGradient slot. */
  readonly centered: boolean;
  protected readonly slotNames: readonly string[];

  constructor(model: ParameterSource, options: RMSPropOptions = {}) {
    checkOptions('RMSProp', options, ['learningRate', 'rho', 'epsilon', 'momentum', 'centered']);
    const { learningRate = 1e-3, rho = 0.9, epsilon = 1e-8, momentum = 0, centered = false } = options;
    super(model, learningRate);
    this.checkHyperparameters({ rho, epsilon, momentum, centered: centered === true });
    this.rho = rho;
    this.epsilon = epsilon;
    this.momentum = momentum;
    this.centered = centered === true;
    this.slotNames = ['meanSquare', ...(this.centered ? ['meanGradient'] : []), ...(momentum > 0 ? ['velocity'] : [])];
  }

  hyperparameters(): Record<string, number | boolean> {
    return { rho: this.rho, epsilon: this.epsilon, momentum: this.momentum, centered: this.centered };
  }

  protected checkHyperparameters(h: Record<string, number | boolean>): void {
    checkHyperparameter('RMSProp', 'rho', h.rho as number, 0, 1);
    checkHyperparameter('RMSProp', 'epsilon', h.epsilon as number, 0, Infinity);
    checkHyperparameter('RMSProp', 'momentum', h.momentum as number, 0, Infinity);
    // the slots are fixed at construction (slotNames is unset while the constructor checks)
    if (this.slotNames && (h.centered !== this.centered || (h.momentum as number) > 0 !== this.momentum > 0)) {
      throw new TensorLoopError(`RMSProp: centered ${h.centered} and momentum ${h.momentum} need other state slots than this RMSProp's (centered ${this.centered}, momentum ${this.momentum}); construct it with matching ones`);
    }
  }

  protected applyUpdate(param: Tensor, grad: Tensor, state: SlotState): void {
    const h = { learningRate: this.learningRate, rho: this.rho, epsilon: this.epsilon, momentum: this.momentum, centered: this.centered };
    applyRMSPropUpdate(param, grad, { meanSquare: state.meanSquare!, meanGradient: state.meanGradient ?? null, velocity: state.velocity ?? null }, h);
  }
}
