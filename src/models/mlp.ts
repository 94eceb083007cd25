// MLP: Dense layers with an activation between them and none after the last
// (logits out). `new MLP({inputSize: 784, hiddenSizes: [128], outputSize: 10})`.

import type { Device } from '../device/device.js';
import { type ActivationLike } from '../nn/activations.js';
import { Dense } from '../nn/dense.js';
import { Module } from '../nn/module.js';
import { nextSeed } from '../random.js';
import type { Tensor } from '../tensor.js';
import { checkRequiredOptions } from '../options.js';
import { TensorLoopError } from '../errors.js';

export interface MLPOptions {
  inputSize: number;
  hiddenSizes: readonly number[];
  outputSize: number;
  activation?: ActivationLike;
  seed?: number;
  device?: Device;
}

export class MLP extends Module {
  layers: Dense[];

  constructor(options: MLPOptions) {
    checkRequiredOptions('MLP', options, ['inputSize', 'hiddenSizes', 'outputSize', 'activation', 'seed', 'device']);
    const { inputSize, hiddenSizes, outputSize, activation = 'relu', seed = nextSeed(), device } = options;
    if (!Array.isArray(hiddenSizes)) throw new TensorLoopError(`MLP: hiddenSizes must be an array of layer sizes, got ${JSON.stringify(hiddenSizes)}`);
    super();
    const sizes = [inputSize, ...hiddenSizes, outputSize];
    this.layers = sizes.slice(1).map((size, i) => new Dense(sizes[i]!, size, { activation: i < hiddenSizes.length ? activation : 'identity', seed: seed + i, device }));
    this.namedModules();
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((y, layer) => layer.forward(y), x);
  }
}
