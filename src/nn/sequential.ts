// Sequential: layers applied in order, y = layers[n-1](…layers[0](x)). Parameter paths
// are `layers.<i>.<name>`.

import { TensorLoopError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    layers.forEach((layer, i) => {
      if (!(layer instanceof Module)) throw new TensorLoopError(`Sequential: argument ${i} is not a Module`);
    });
    this.layers = layers;
    this.namedModules();
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((y, layer) => layer.forward(y), x);
  }
}
