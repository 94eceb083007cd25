// Gradient clipping helpers for the loop (call them at `updateStart`, before the
// optimizer): by value (each element into [-limit, limit]) and by global norm (all
// gradients scaled together so that √(Σ‖g‖²) ≤ maxNorm, as torch.nn.utils.clip_grad_norm_
// and tf.clip_by_global_norm). Both return new gradients and read nothing back.

import { TensorLoopError, describeValue } from '../errors.js';
import { add, clip, div, maximum, mul, sqrt, square } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { composite } from '../ops/util.js';
import { type Tensor, scalar } from '../tensor.js';

export type GradientMap = Map<string, Tensor>;

function assertGradientMap(op: string, grads: unknown): void {
  if (!(grads instanceof Map)) throw new TensorLoopError(`${op}: grads must be a Map from parameter path to gradient Tensor, got ${describeValue(grads)}`);
}

export function clipByValue(grads: GradientMap, limit: number): GradientMap {
  assertGradientMap('clipByValue', grads);
  if (!(limit > 0)) throw new TensorLoopError(`clipByValue: limit must be positive, got ${limit}`);
  return new Map([...grads].map(([path, g]) => [path, clip(g, -limit, limit)]));
}

/** √(Σ over every gradient of Σ g²), as a scalar tensor. */
export function globalNorm(grads: GradientMap): Tensor {
  assertGradientMap('globalNorm', grads);
  const list = [...grads.values()];
  if (list.length === 0) return scalar(0);
  return composite(() => sqrt(list.map((g) => sum(square(g))).reduce((a, b) => add(a, b))));
}

/** Scales every gradient by maxNorm / max(globalNorm, maxNorm): unchanged when the norm
 * is within bounds. */
export function clipByGlobalNorm(grads: GradientMap, maxNorm: number): GradientMap {
  assertGradientMap('clipByGlobalNorm', grads);
  if (!(maxNorm > 0)) throw new TensorLoopError(`clipByGlobalNorm: maxNorm must be positive, got ${maxNorm}`);
  if (grads.size === 0) return new Map();
  return composite(() => {
    const scale = div(maxNorm, maximum(globalNorm(grads), maxNorm));
    return new Map([...grads].map(([path, g]) => [path, mul(g, scale)]));
  });
}
