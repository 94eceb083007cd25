// matmul: 2-D and batched matrix products with NumPy broadcasting of the batch dims and
// transposes folded into the read (never materialized). The gradient is two matmuls:
//   y = A·B  →  dA = dy·Bᵀ,  dB = Aᵀ·dy   (the transposed variants follow the same rule)

import { record } from '../autodiff/tape.js';
import { TensorLoopError, shapeString } from '../errors.js';
import { kernelFor } from '../kernels/kernel.js';
import { matmulKernel } from '../kernels/matmul.js';
import { type Tensor, sizeOf } from '../tensor.js';
import { cast } from './elementwise.js';
import { broadcastTo, reshape } from './movement.js';
import { sumToShape } from './reduce.js';
import { assertSameDevice, assertTensor, broadcastShapes, composite, sameShape, assertOutputAllocatable } from './util.js';
import { checkOptions } from '../options.js';

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
}

export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const { transposeA = false, transposeB = false } = checkOptions('matmul', options, ['transposeA', 'transposeB']);
  assertTensor('matmul', a, 'a');
  assertTensor('matmul', b, 'b');
  assertSameDevice('matmul', [a, b]);
  if (a.rank < 2 || b.rank < 2) {
    throw new TensorLoopError(`matmul: expected tensors of rank ≥ 2, got ${shapeString(a.shape)} @ ${shapeString(b.shape)}`);
  }
  const [m, ka] = transposeA ? [a.shape[a.rank - 1]!, a.shape[a.rank - 2]!] : [a.shape[a.rank - 2]!, a.shape[a.rank - 1]!];
  const [kb, n] = transposeB ? [b.shape[b.rank - 1]!, b.shape[b.rank - 2]!] : [b.shape[b.rank - 2]!, b.shape[b.rank - 1]!];
  if (ka !== kb) {
    const t = (s: string, on: boolean) => (on ? `${s}ᵀ` : '');
    throw new TensorLoopError(`matmul: inner dimensions differ: ${shapeString(a.shape)}${t('', transposeA)} @ ${shapeString(b.shape)}${t('', transposeB)}`);
  }
  const batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  assertOutputAllocatable('matmul', [...batchShape, m, n], a);
  return composite(() => matmulBatched(a, b, batchShape, m, n, ka, transposeA, transposeB));
}

function matmulBatched(a: Tensor, b: Tensor, batchShape: number[], m: number, n: number, k: number, transposeA: boolean, transposeB: boolean): Tensor {
  const batch = sizeOf(batchShape);
  const fa = a.dtype === 'float32' ? a : cast(a, 'float32');
  const fb = b.dtype === 'float32' ? b : cast(b, 'float32');
  const a3 = flattenBatch(fa, batchShape);
  const b3 = flattenBatch(fb, batchShape);
  const info = { batch, m, n, k, transposeA, transposeB };
  const y3 = kernelFor(matmulKernel, a.device)(a3, b3, info);
  record('matmul', [a3, b3], y3, (dy, needs) => [
    needs[0] ? sumToShape(gradA(dy, b3, transposeA, transposeB), a3.shape) : null,
    needs[1] ? sumToShape(gradB(dy, a3, transposeA, transposeB), b3.shape) : null,
  ]);
  return reshape(y3, [...batchShape, m, n]);
}

// y = op(A)·op(B); each case written out so the reader can check it by hand.
function gradA(dy: Tensor, b: Tensor, tA: boolean, tB: boolean): Tensor {
  if (!tA && !tB) return matmul(dy, b, { transposeB: true }); // dA = dy·Bᵀ
  if (!tA && tB) return matmul(dy, b); // y = A·Bᵀ → dA = dy·B
  if (tA && !tB) return matmul(b, dy, { transposeB: true }); // y = Aᵀ·B → dA = B·dyᵀ
  return matmul(b, dy, { transposeA: true, transposeB: true }); // y = Aᵀ·Bᵀ → dA = Bᵀ·dyᵀ
}

function gradB(dy: Tensor, a: Tensor, tA: boolean, tB: boolean): Tensor {
  if (!tA && !tB) return matmul(a, dy, { transposeA: true }); // dB = Aᵀ·dy
  if (!tA && tB) return matmul(dy, a, { transposeA: true }); // y = A·Bᵀ → dB = dyᵀ·A
  if (tA && !tB) return matmul(a, dy); // y = Aᵀ·B → dB = A·dy
  return matmul(dy, a, { transposeA: true, transposeB: true }); // y = Aᵀ·Bᵀ → dB = dyᵀ·Aᵀ
}

/** [...batch?, r, c] → [1 or batch, r, c]; broadcasts (a copy) only when batch dims partly differ. */
function flattenBatch(x: Tensor, batchShape: readonly number[]): Tensor {
  const own = x.shape.slice(0, -2);
  const matrix = x.shape.slice(-2);
  if (sizeOf(own) === 1) return reshape(x, [1, ...matrix]);
  const full = sameShape(own, batchShape) ? x : broadcastTo(x, [...batchShape, ...matrix]);
  return reshape(full, [sizeOf(batchShape), ...matrix]);
}
