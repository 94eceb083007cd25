// Conv2D: y = activation(conv2d(x, W) + b) on NHWC images, W [kh, kw, inC, outC] (HWIO,
// Glorot uniform), b zeros; strides, padding ('same' | 'valid' | n) and dilations as the
// conv2d op. `new Conv2D([5, 5, 1, 6], {padding: 'same', activation: 'relu'})`.

import type { Device } from '../device/device.js';
import { shapeString } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { biasActivation } from '../ops/bias.js';
import { type Padding, conv2d } from '../ops/conv.js';
import type { Tensor } from '../tensor.js';
import { type ActivationFunction, type ActivationLike, activationFunction, fusedActivation } from './activations.js';
import { type Initializer, glorotUniform, zerosInit } from './initializers.js';
import { Module } from './module.js';
import { checkOptions } from '../options.js';

type Pair = number | readonly [number, number];

export interface Conv2DOptions {
  strides?: Pair;
  padding?: Padding;
  dilations?: Pair;
  activation?: ActivationLike;
  useBias?: boolean;
  weightInitializer?: Initializer;
  seed?: number;
  device?: Device;
}

export class Conv2D extends Module {
  weight: Tensor;
  bias?: Tensor;
  readonly strides: Pair;
  readonly padding: Padding;
  readonly dilations: Pair;
  private readonly activation: ActivationFunction;
  private readonly fused: ReturnType<typeof fusedActivation>;

  constructor(filterShape: readonly [number, number, number, number], options: Conv2DOptions = {}) {
    super();
    checkOptions('Conv2D', options, ['strides', 'padding', 'dilations', 'activation', 'useBias', 'weightInitializer', 'seed', 'device']);
    const { strides = 1, padding = 'valid', dilations = 1, activation = 'identity', useBias = true, weightInitializer = glorotUniform, seed, device } = options;
    if (!Array.isArray(filterShape) || filterShape.length !== 4 || filterShape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw this.error(`filterShape must be [height, width, inChannels, outChannels] of positive integers, got ${JSON.stringify(filterShape)}`);
    }
    this.weight = weightInitializer(filterShape, { seed, device });
    if (useBias) this.bias = zerosInit([filterShape[3]], { device });
    this.strides = strides;
    this.padding = padding;
    this.dilations = dilations;
    this.activation = activationFunction(activation);
    this.fused = fusedActivation(activation);
  }

  forward(x: Tensor): Tensor {
    this.assertInput(x);
    const channels = this.weight.shape[2]!;
    if (x.rank !== 4 || x.shape[3] !== channels) {
      throw this.error(`expected input with ${channels} channels, got ${shapeString(x.shape)}`);
    }
    let y = conv2d(x, this.weight, { strides: this.strides, padding: this.padding, dilations: this.dilations });
    if (this.bias && this.fused) return biasActivation(y, this.bias, this.fused);
    if (this.bias) y = add(y, this.bias);
    return this.activation(y);
  }
}
