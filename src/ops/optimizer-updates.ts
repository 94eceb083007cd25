// The fused optimizer updates as ops: each moves one parameter and its optimizer state by
// one step, in place, with the kernel of src/kernels/optim.ts for the tensors' device (the
// same update rule on the CPU and on WebGPU). The optimizers (src/optim) call these; they
// run outside any gradient recording and are not differentiable.
//
// Writing in place is safe only on storage nobody else sees: these ops refuse a written
// tensor whose storage is shared (a view, or state handed out elsewhere); the Optimizer
// copies such storage first.

import { TensorLoopError, shapeString } from '../errors.js';
import { kernelFor } from '../kernels/kernel.js';
import {
  type AdamUpdateHyperparameters,
  type RMSPropSlots,
  type RMSPropUpdateHyperparameters,
  type SGDUpdateHyperparameters,
  adamUpdateKernel,
  rmspropUpdateKernel,
  sgdUpdateKernel,
} from '../kernels/optim.js';
import type { Tensor } from '../tensor.js';
import { assertSameDevice, assertTensor, sameShape } from './util.js';

export type { AdamUpdateHyperparameters, RMSPropSlots, RMSPropUpdateHyperparameters, SGDUpdateHyperparameters };

/** SGD (momentum, Nesterov, L2 decay) on `param`, and `velocity` when given, in place. */
export function applySGDUpdate(param: Tensor, grad: Tensor, velocity: Tensor | null, h: SGDUpdateHyperparameters): void {
  const op = 'applySGDUpdate';
  checkUpdate(op, param, grad, velocity ? { velocity } : {});
  kernelFor(sgdUpdateKernel, param.device)(param, grad, velocity, h);
}

/** Adam / AdamW on `param` and its moments `m`, `v`, in place (`h.step` is t, from 1). */
export function applyAdamUpdate(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamUpdateHyperparameters): void {
  const op = 'applyAdamUpdate';
  checkUpdate(op, param, grad, { m, v });
  if (!(Number.isInteger(h.step) && h.step >= 1)) throw new TensorLoopError(`${op}: step must be an integer from 1, got ${h.step}`);
  kernelFor(adamUpdateKernel, param.device)(param, grad, m, v, h);
}

/** RMSProp (centered, momentum) on `param` and its slots, in place. */
export function applyRMSPropUpdate(param: Tensor, grad: Tensor, slots: RMSPropSlots, h: RMSPropUpdateHyperparameters): void {
  const op = 'applyRMSPropUpdate';
  const { meanSquare, meanGradient, velocity } = slots;
  checkUpdate(op, param, grad, { meanSquare, ...(meanGradient ? { meanGradient } : {}), ...(velocity ? { velocity } : {}) });
  if ((meanGradient !== null) !== h.centered) throw new TensorLoopError(`${op}: meanGradient is needed exactly when centered`);
  if ((velocity !== null) !== h.momentum > 0) throw new TensorLoopError(`${op}: velocity is needed exactly when momentum > 0`);
  kernelFor(rmspropUpdateKernel, param.device)(param, grad, slots, h);
}

/** Live float32 tensors on one device, all shaped like `param`; the written ones unshared. */
function checkUpdate(op: string, param: Tensor, grad: Tensor, state: Record<string, Tensor>): void {
  const named: [string, Tensor][] = [['param', param], ['grad', grad], ...Object.entries(state)];
  for (const [name, t] of named) {
    assertTensor(op, t, name);
    if (t.dtype !== 'float32') throw new TensorLoopError(`${op}: ${name} must be float32, got ${t.dtype}`);
    if (!sameShape(t.shape, param.shape)) throw new TensorLoopError(`${op}: ${name} has shape ${shapeString(t.shape)}, param has ${shapeString(param.shape)}`);
  }
  assertSameDevice(op, named.map(([, t]) => t));
  for (const [name, t] of named) {
    if (name !== 'grad' && t.storage.refCount > 1) throw new TensorLoopError(`${op}: ${name} shares its storage with another tensor; an in-place update would change both`);
  }
}
