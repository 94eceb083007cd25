// Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019), with the standard bias
// correction by 1 − βᵗ, t counting the parameter's own updates from 1, as in PyTorch:
//   m ← β₁m + (1−β₁)g;   v ← β₂v + (1−β₂)g²
//   p ← p − η · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
// Adam's weightDecay adds λ·p to the gradient (L2); AdamW decays the weight directly,
// p ← p − η·λ·p, before the step ("decoupled").
// Every device runs the rule as one fused in-place op per parameter (applyAdamUpdate);
// adamUpdate writes it out with elementwise ops, the definition the kernels are tested against.

import { add, div, mul, sqrt, square, sub } from '../ops/elementwise.js';
import { type AdamUpdateHyperparameters, applyAdamUpdate } from '../ops/optimizer-updates.js';
import type { Tensor } from '../tensor.js';
import { type ParameterSource, type SlotState, Optimizer, checkHyperparameter } from './optimizer.js';
import { checkOptions } from '../options.js';

export interface AdamOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

/** The hyperparameters of one Adam/AdamW step (one type for the reference rule and the fused kernel). */
export type AdamHyperparameters = AdamUpdateHyperparameters;

/** The Adam/AdamW update of one parameter: new parameter and moments from old. */
export function adamUpdate(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamHyperparameters): { param: Tensor; m: Tensor; v: Tensor } {
  let p = param;
  let g = grad;
  if (h.weightDecay !== 0) {
    if (h.decoupled) p = sub(p, mul(p, h.learningRate * h.weightDecay));
    else g = add(g, mul(p, h.weightDecay));
  }
  const m1 = add(mul(m, h.beta1), mul(g, 1 - h.beta1));
  const v1 = add(mul(v, h.beta2), mul(square(g), 1 - h.beta2));
  const mHat = div(m1, 1 - h.beta1 ** h.step);
  const vHat = div(v1, 1 - h.beta2 ** h.step);
  const step = div(mHat, add(sqrt(vHat), h.epsilon));
  return { param: sub(p, mul(step, h.learningRate)), m: m1, v: v1 };
}

export class Adam extends Optimizer {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  protected readonly slotNames: readonly string[] = ['m', 'v'];
  protected readonly decoupled: boolean = false;

  constructor(model: ParameterSource, options: AdamOptions = {}) {
    checkOptions(new.target.name, options, ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay']);
    const { learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0 } = options;
    super(model, learningRate);
    this.checkHyperparameters({ beta1, beta2, epsilon, weightDecay });
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
  }

  hyperparameters(): Record<string, number | boolean> {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }

  protected checkHyperparameters(h: Record<string, number | boolean>): void {
    const name = this.constructor.name;
    checkHyperparameter(name, 'beta1', h.beta1 as number, 0, 1);
    checkHyperparameter(name, 'beta2', h.beta2 as number, 0, 1);
    checkHyperparameter(name, 'epsilon', h.epsilon as number, 0, Infinity);
    checkHyperparameter(name, 'weightDecay', h.weightDecay as number, 0, Infinity);
  }

  protected applyUpdate(param: Tensor, grad: Tensor, state: SlotState, step: number): void {
    const h = { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay, decoupled: this.decoupled, step };
    applyAdamUpdate(param, grad, state.m!, state.v!, h);
  }
}

/** Adam with decoupled weight decay (default λ = 0.01, as PyTorch). */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(model: ParameterSource, options: AdamOptions = {}) {
    checkOptions('AdamW', options, ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay']);
    super(model, { ...options, weightDecay: options.weightDecay ?? 0.01 });
  }
}
