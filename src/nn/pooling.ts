// Pooling layers over NHWC images: MaxPool2D and AvgPool2D (a window sliding with
// strides, default strides = window), GlobalAvgPool2D ([N,H,W,C] → [N,C]), and Flatten
// ([N, ...] → [N, prod(...)]), the layer that usually follows them.

import { shapeString } from '../errors.js';
import { type Padding, avgPool2d, maxPool2d } from '../ops/conv.js';
import { reshape } from '../ops/movement.js';
import { mean } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import { checkOptions } from '../options.js';

type Pair = number | readonly [number, number];

export interface Pool2DLayerOptions {
  windowSize: Pair;
  strides?: Pair;
  padding?: Padding;
}

abstract class Pool2D extends Module {
  constructor(readonly options: Pool2DLayerOptions) {
    checkOptions(new.target.name, options, ['windowSize', 'strides', 'padding']);
    super();
  }

  protected checkInput(x: Tensor): void {
    this.assertInput(x);
    if (x.rank !== 4) throw this.error(`expected NHWC input (rank 4), got ${shapeString(x.shape)}`);
  }
}

export class MaxPool2D extends Pool2D {
  forward(x: Tensor): Tensor {
    this.checkInput(x);
    return maxPool2d(x, this.options);
  }
}

export class AvgPool2D extends Pool2D {
  forward(x: Tensor): Tensor {
    this.checkInput(x);
    return avgPool2d(x, this.options);
  }
}

export class GlobalAvgPool2D extends Module {
  forward(x: Tensor): Tensor {
    this.assertInput(x);
    if (x.rank !== 4) throw this.error(`expected NHWC input (rank 4), got ${shapeString(x.shape)}`);
    return mean(x, [1, 2]);
  }
}

export class Flatten extends Module {
  forward(x: Tensor): Tensor {
    this.assertInput(x);
    if (x.rank < 1) throw this.error(`expected a batch axis, got a scalar`);
    return reshape(x, [x.shape[0]!, -1]);
  }
}
