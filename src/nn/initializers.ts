// Parameter initializers. Each returns a new float32 tensor that is `keep()`-ed: model
// parameters live until disposed, even when a model is built inside a tidy scope.
// Defaults follow Swift for TensorFlow and Keras: Dense and Conv2D weights are Glorot
// uniform, biases zeros; Embedding tables are uniform in ±0.05 (Keras); GPT uses N(0, 0.02²).

import type { Device } from '../device/device.js';
import { TensorLoopError, shapeString } from '../errors.js';
import { keep } from '../memory.js';
import { nextSeed } from '../random.js';
import { type Shape, type Tensor, full, randn, randu } from '../tensor.js';
import { checkOptions } from '../options.js';

export interface InitializerOptions {
  /** Random seed; a fresh deterministic seed when omitted. */
  seed?: number;
  device?: Device;
}

/** A function that makes a parameter of a given shape. */
export type Initializer = (shape: Shape, options?: InitializerOptions) => Tensor;

const checked = (owner: string, options: InitializerOptions = {}): InitializerOptions => checkOptions(owner, options, ['seed', 'device']);

/** Fan-in and fan-out of a weight shape: [in, out] for Dense, [kh, kw, in, out] (HWIO)
 * for Conv2D, where the receptive field kh·kw multiplies both. */
export function fans(shape: Shape): [number, number] {
  if (shape.length < 2) throw new TensorLoopError(`fans: a weight needs rank 2 or more, got ${shapeString(shape)}`);
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2]! * receptive, shape[shape.length - 1]! * receptive];
}

/** Glorot (Xavier) uniform: U(-l, l) with l = √(6 / (fanIn + fanOut)). */
export const glorotUniform: Initializer = (shape, options) => {
  const { seed = nextSeed(), device } = checked('glorotUniform', options);
  const [fanIn, fanOut] = fans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return keep(randu(shape, { seed, device, low: -limit, high: limit }));
};

/** He (Kaiming) normal: N(0, 2 / fanIn), suited to ReLU networks. (A plain normal, as in
 * Swift for TensorFlow's `heNormal`; Keras truncates at two standard deviations.) */
export const heNormal: Initializer = (shape, options) => {
  const { seed = nextSeed(), device } = checked('heNormal', options);
  const [fanIn] = fans(shape);
  return keep(randn(shape, { seed, device, std: Math.sqrt(2 / fanIn) }));
};

/** Normal with a fixed standard deviation (0.02 as in GPT-2), for embeddings. */
export function normal(std = 0.02): Initializer {
  return (shape, options) => {
    const { seed = nextSeed(), device } = checked('normal', options);
    return keep(randn(shape, { seed, device, std }));
  };
}

/** Uniform in [-limit, limit). */
export function uniform(limit = 0.05): Initializer {
  return (shape, options) => {
    const { seed = nextSeed(), device } = checked('uniform', options);
    return keep(randu(shape, { seed, device, low: -limit, high: limit }));
  };
}

export const zerosInit: Initializer = (shape, options) => keep(full(shape, 0, { device: checked('zerosInit', options).device }));

export const onesInit: Initializer = (shape, options) => keep(full(shape, 1, { device: checked('onesInit', options).device }));
