// sigmoidCrossEntropy(logits, labels): binary (multi-label) cross-entropy on logits, a
// composite of primitives. Its value is TensorFlow's stable form
//   −z·log σ(x) − (1−z)·log(1−σ(x)) = max(x, 0) − x·z + log(1 + e^{−|x|}),
// written as (x/2 − x·z + |x|/2) + softplus(−|x|), using max(x, 0) = (x + |x|)/2: that way
// the two kinks at 0 (of max and of |·|) become |x|/2 + softplus(−|x|) = log(2 cosh(x/2)),
// an even function whose recorded gradient sign(x)·(½ − σ(−|x|)) is 0 at 0 like its true
// one, so the gradient is exactly σ(x) − z everywhere, 0 included (½ − z there). Every term
// stays finite for any finite logit: no exp of a positive number is taken.

import { abs, add, mul, neg, softplus, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { composite } from '../ops/util.js';
import type { Tensor } from '../tensor.js';
import { TensorLoopError } from '../errors.js';
import { checkSameShape } from './regression.js';

export function sigmoidCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  checkSameShape('sigmoidCrossEntropy', logits, labels);
  if (labels.dtype !== 'float32') throw new TensorLoopError(`sigmoidCrossEntropy: labels must be float32 (0/1 or probabilities), got ${labels.dtype}`);
  return composite(() => {
    const magnitude = abs(logits);
    const linear = add(sub(mul(logits, 0.5), mul(logits, labels)), mul(magnitude, 0.5));
    return mean(add(linear, softplus(neg(magnitude))));
  });
}
