// Dense: y = activation(x·W + b), W [inputSize, outputSize] (Glorot uniform), b zeros.
// x may have any leading axes: [..., inputSize] → [..., outputSize].

import { add } from '../ops/elementwise.js';
import { biasActivation } from '../ops/bias.js';
import { matmul } from '../ops/matmul.js';
import { reshape } from '../ops/movement.js';
import { shapeString } from '../errors.js';
import type { Device } from '../device/device.js';
import type { Tensor } from '../tensor.js';
import { type ActivationFunction, type ActivationLike, activationFunction, fusedActivation } from './activations.js';
import { type Initializer, glorotUniform, zerosInit } from './initializers.js';
import { Module } from './module.js';
import { checkOptions } from '../options.js';

export interface DenseOptions {
  activation?: ActivationLike;
  useBias?: boolean;
  weightInitializer?: Initializer;
  seed?: number;
  device?: Device;
}

export class Dense extends Module {
  weight: Tensor;
  bias?: Tensor;
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly activation: ActivationFunction;
  private readonly fused: ReturnType<typeof fusedActivation>;

  constructor(inputSize: number, outputSize: number, options: DenseOptions = {}) {
    checkOptions('Dense', options, ['activation', 'useBias', 'weightInitializer', 'seed', 'device']);
    const { activation = 'identity', useBias = true, weightInitializer = glorotUniform, seed, device } = options;
    super();
    this.inputSize = inputSize;
    this.outputSize = outputSize;
    if (!Number.isInteger(inputSize) || !Number.isInteger(outputSize) || inputSize < 1 || outputSize < 1) {
      throw this.error(`sizes must be positive integers, got ${inputSize} → ${outputSize}`);
    }
    this.weight = weightInitializer([inputSize, outputSize], { seed, device });
    if (useBias) this.bias = zerosInit([outputSize], { device });
    this.activation = activationFunction(activation);
    this.fused = fusedActivation(activation);
  }

  forward(x: Tensor): Tensor {
    this.assertInput(x);
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inputSize) {
      throw this.error(`expected input with last dimension ${this.inputSize}, got ${shapeString(x.shape)}`);
    }
    const flat = x.rank === 2 ? x : reshape(x, [-1, this.inputSize]);
    let y = matmul(flat, this.weight);
    if (this.bias && this.fused) y = biasActivation(y, this.bias, this.fused);
    else y = this.activation(this.bias ? add(y, this.bias) : y);
    return x.rank === 2 ? y : reshape(y, [...x.shape.slice(0, -1), this.outputSize]);
  }
}
