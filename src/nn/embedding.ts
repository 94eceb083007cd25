// Embedding: a lookup table [vocabularySize, embeddingSize]; int32 indices of any shape
// [...] give vectors [..., embeddingSize] (gather checks they are in range). The gradient
// scatters into the used rows.
// Default table initializer: uniform in ±0.05 (Keras).

import type { Device } from '../device/device.js';
import { shapeString } from '../errors.js';
import { gather } from '../ops/movement.js';
import type { Tensor } from '../tensor.js';
import { type Initializer, uniform } from './initializers.js';
import { Module } from './module.js';
import { checkOptions } from '../options.js';

export interface EmbeddingOptions {
  initializer?: Initializer;
  seed?: number;
  device?: Device;
}

export class Embedding extends Module {
  weight: Tensor;

  constructor(readonly vocabularySize: number, readonly embeddingSize: number, options: EmbeddingOptions = {}) {
    const { initializer = uniform(0.05), seed, device } = checkOptions('Embedding', options, ['initializer', 'seed', 'device']);
    super();
    this.weight = initializer([vocabularySize, embeddingSize], { seed, device });
  }

  forward(indices: Tensor): Tensor {
    if (indices.dtype !== 'int32') throw this.error(`expected int32 indices, got ${indices.dtype} ${shapeString(indices.shape)}`);
    return gather(this.weight, indices, 0);
  }
}
