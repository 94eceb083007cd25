// biasActivation(x, b, activation): act(x + b) with b along x's last axis — the fused fast
// path of Dense and Conv2D. Its definition is the composite `activation(add(x, b))`
// (test/ops/bias-activation.test.ts holds it to that on every device); the kernels do it
// in one pass forward and, for the bias gradient, a column sum without a transposed copy.

import { isRecording, record } from '../autodiff/tape.js';
import { TensorLoopError, shapeString } from '../errors.js';
import { FUSED_ACTIVATIONS, type FusedActivation, biasActivationKernel, reluGradientKernel } from '../kernels/bias-activation.js';
import { kernelFor } from '../kernels/kernel.js';
import type { Tensor } from '../tensor.js';
import { greater, mul } from './elementwise.js';
import { sum } from './reduce.js';
import { assertFloat, assertSameDevice, assertTensor } from './util.js';

export type { FusedActivation } from '../kernels/bias-activation.js';

/** act(x + b), b of shape [C] added along x's last axis (of size C); act is 'identity' or
 * 'relu'. Gradients: dz = dy · act'(x + b); dx = dz; db = Σ dz over the leading axes. */
export function biasActivation(x: Tensor, bias: Tensor, activation: FusedActivation = 'identity'): Tensor {
  assertTensor('biasActivation', x);
  assertTensor('biasActivation', bias, 'bias');
  assertSameDevice('biasActivation', [x, bias]);
  assertFloat('biasActivation', x);
  assertFloat('biasActivation', bias, 'bias');
  if (!FUSED_ACTIVATIONS.includes(activation)) {
    throw new TensorLoopError(`biasActivation: activation must be one of ${FUSED_ACTIVATIONS.join(', ')}, got ${JSON.stringify(activation)}`);
  }
  if (x.rank < 1 || bias.rank !== 1 || bias.shape[0] !== x.shape[x.rank - 1]) {
    throw new TensorLoopError(`biasActivation: bias must have shape [C] for x of shape [..., C], got x ${shapeString(x.shape)} and bias ${shapeString(bias.shape)}`);
  }
  const y = kernelFor(biasActivationKernel, x.device)(x, bias, activation);
  record('biasActivation', [x, bias], y, (dy, needs) => {
    // Recording (a gradient of this gradient is being taken): the same rule through ops.
    const dz = activation === 'identity' ? dy : isRecording() ? mul(dy, greater(y, 0)) : kernelFor(reluGradientKernel, dy.device)(dy, y);
    const leading = Array.from({ length: x.rank - 1 }, (_, i) => i);
    return [needs[0] ? dz : null, needs[1] ? sum(dz, leading) : null];
  });
  return y;
}
