// Normalization layers. BatchNorm normalizes each feature (the last axis) over the batch
// and spatial axes; in training it uses the batch's mean and (biased) variance and
// updates running estimates, running ← momentum·running + (1 − momentum)·batch; in
// evaluation it uses the running estimates. LayerNorm normalizes each example over its
// last axis. Both then scale by γ (ones) and shift by β (zeros). Defaults as in Swift for
// TensorFlow: BatchNorm momentum 0.99, ε 0.001; LayerNorm ε 0.001.

import { noGrad } from '../autodiff/tape.js';
import type { Device } from '../device/device.js';
import { shapeString } from '../errors.js';
import { add, mul, rsqrt, square, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';
import { onesInit, zerosInit } from './initializers.js';
import { Module } from './module.js';
import { checkOptions } from '../options.js';

export interface BatchNormOptions {
  momentum?: number;
  epsilon?: number;
  device?: Device;
}

export class BatchNorm extends Module {
  /** γ */
  scale: Tensor;
  /** β */
  offset: Tensor;
  runningMean: Tensor;
  runningVariance: Tensor;
  readonly momentum: number;
  readonly epsilon: number;
  protected override readonly stateNames: ReadonlySet<string> = new Set(['runningMean', 'runningVariance']);

  constructor(readonly featureCount: number, options: BatchNormOptions = {}) {
    const { momentum = 0.99, epsilon = 0.001, device } = checkOptions('BatchNorm', options, ['momentum', 'epsilon', 'device']);
    super();
    if (!(momentum >= 0 && momentum <= 1)) throw this.error(`momentum must be in [0, 1], got ${momentum}`);
    this.scale = onesInit([featureCount], { device });
    this.offset = zerosInit([featureCount], { device });
    this.runningMean = zerosInit([featureCount], { device });
    this.runningVariance = onesInit([featureCount], { device });
    this.momentum = momentum;
    this.epsilon = epsilon;
  }

  forward(x: Tensor): Tensor {
    this.assertInput(x);
    if (x.rank < 2 || x.shape[x.rank - 1] !== this.featureCount) {
      throw this.error(`expected input with ${this.featureCount} features on the last axis, got ${shapeString(x.shape)}`);
    }
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    let mu: Tensor;
    let variance: Tensor;
    if (this.training) {
      mu = mean(x, axes);
      variance = mean(square(sub(x, mu)), axes);
      noGrad(() => {
        const m = this.momentum;
        this.runningMean.assign(add(mul(this.runningMean, m), mul(mu, 1 - m)));
        this.runningVariance.assign(add(mul(this.runningVariance, m), mul(variance, 1 - m)));
      });
    } else {
      mu = this.runningMean;
      variance = this.runningVariance;
    }
    const inverse = mul(rsqrt(add(variance, this.epsilon)), this.scale);
    return add(mul(sub(x, mu), inverse), this.offset);
  }
}

export interface LayerNormOptions {
  epsilon?: number;
  device?: Device;
}

export class LayerNorm extends Module {
  scale: Tensor;
  offset: Tensor;
  readonly epsilon: number;

  constructor(readonly featureCount: number, options: LayerNormOptions = {}) {
    const { epsilon = 0.001, device } = checkOptions('LayerNorm', options, ['epsilon', 'device']);
    super();
    this.scale = onesInit([featureCount], { device });
    this.offset = zerosInit([featureCount], { device });
    this.epsilon = epsilon;
  }

  forward(x: Tensor): Tensor {
    this.assertInput(x);
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.featureCount) {
      throw this.error(`expected input with ${this.featureCount} features on the last axis, got ${shapeString(x.shape)}`);
    }
    const mu = mean(x, -1, { keepDims: true });
    const centered = sub(x, mu);
    const variance = mean(square(centered), -1, { keepDims: true });
    return add(mul(mul(centered, rsqrt(add(variance, this.epsilon))), this.scale), this.offset);
  }
}
