// sigmoidCrossEntropy(logits, labels): binary (multi-label) cross-entropy on logits, in
// the stable form TensorFlow uses, a composite of primitives:
//   −z·log σ(x) − (1−z)·log(1−σ(x)) = max(x, 0) − x·z + log(1 + e^{−|x|})

import { abs, add, mul, neg, relu, softplus, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { composite } from '../ops/util.js';
import type { Tensor } from '../tensor.js';
import { TensorLoopError } from '../errors.js';
import { checkSameShape } from './regression.js';

export function sigmoidCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  checkSameShape('sigmoidCrossEntropy', logits, labels);
  if (labels.dtype !== 'float32') throw new TensorLoopError(`sigmoidCrossEntropy: labels must be float32 (0/1 or probabilities), got ${labels.dtype}`);
  return composite(() => mean(add(sub(relu(logits), mul(logits, labels)), softplus(neg(abs(logits))))));
}
