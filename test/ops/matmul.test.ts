// matmul: 2-D and batched products, broadcasting of batch dims, transposed reads —
// forward against hand values and a plain float64 triple loop, gradients by finite
// differences for every transpose combination. Also the chainable-method form.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { matmul, mul, sum, transpose } from '../../src/ops/index.js';
import '../../src/tensor-methods.js';
import { type Tensor, tensor, zeros } from '../../src/tensor.js';
import { assertClose, checkGradient } from '../helpers/assert.js';
import { normal, testDevices } from './support.js';

const weighted = (y: Tensor, seed = 99): Tensor => sum(mul(y, normal(y.shape, y.device, seed)));

/** The textbook product of row-major [m,k]·[k,n], in float64. */
function naiveMatmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) out[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
  return out;
}

for (const device of await testDevices()) {
  const on = `[${device.name}]`;
  const t = (values: Parameters<typeof tensor>[0]): Tensor => tensor(values, { device });

  test(`2-D product by hand ${on}`, async () => {
    const y = matmul(t([[1, 2, 3], [4, 5, 6]]), t([[1, 0], [0, 1], [2, -1]]));
    assert.equal([...y.shape], [2, 2]);
    assert.equal(await y.array(), [[7, -1], [16, -1]]);
    assert.equal(await matmul(t([[2]]), t([[3, 4]])).array(), [[6, 8]], '[1,1]·[1,2]');
  });

  test(`matches a float64 triple loop on odd sizes and a long inner dimension ${on}`, async () => {
    for (const [m, k, n] of [[5, 7, 3], [6, 131, 9], [1, 300, 1], [9, 1, 11]] as const) {
      const a = normal([m, k], device, m + k);
      const b = normal([k, n], device, n + k);
      const expected = naiveMatmul(await a.data(), await b.data(), m, k, n);
      assertClose(await matmul(a, b).data(), expected, { atol: 1e-4, rtol: 1e-4 }, `${m}x${k}x${n}`);
    }
  });

  test(`transposeA and transposeB read transposed without a copy by the caller ${on}`, async () => {
    const a = normal([4, 3], device, 1);
    const b = normal([5, 4], device, 2);
    const reference = await matmul(transpose(a), transpose(b)).data();
    assertClose(await matmul(a, b, { transposeA: true, transposeB: true }).data(), reference, {}, 'both');
    assertClose(await matmul(transpose(a), b, { transposeB: true }).data(), reference, {}, 'B only');
    assertClose(await matmul(a, transpose(b), { transposeA: true }).data(), reference, {}, 'A only');
    assert.equal([...matmul(a, b, { transposeA: true, transposeB: true }).shape], [3, 5]);
  });

  test(`batched: equal batches, broadcast batches, a 2-D operand against a batch ${on}`, async () => {
    const a = normal([2, 3, 4], device, 3);
    const b = normal([2, 4, 5], device, 4);
    const y = matmul(a, b);
    assert.equal([...y.shape], [2, 3, 5]);
    const ad = await a.data();
    const bd = await b.data();
    const yd = await y.data();
    for (let p = 0; p < 2; p++) {
      const expected = naiveMatmul(ad.subarray(p * 12, p * 12 + 12), bd.subarray(p * 20, p * 20 + 20), 3, 4, 5);
      assertClose(yd.subarray(p * 15, p * 15 + 15), expected, {}, `batch ${p}`);
    }
    const shared = normal([4, 5], device, 5);
    const z = matmul(a, shared);
    assert.equal([...z.shape], [2, 3, 5]);
    const sd = await shared.data();
    assertClose((await z.data()).subarray(15), naiveMatmul(ad.subarray(12), sd, 3, 4, 5), {}, 'batch against 2-D');
    // [3,1,2,4] · [2,4,1] broadcast to batch [3,2]
    const c = normal([3, 1, 2, 4], device, 6);
    const d = normal([2, 4, 1], device, 7);
    const w = matmul(c, d);
    assert.equal([...w.shape], [3, 2, 2, 1]);
    const cd = await c.data();
    const dd = await d.data();
    const wd = await w.data();
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        const expected = naiveMatmul(cd.subarray(i * 8, i * 8 + 8), dd.subarray(j * 4, j * 4 + 4), 2, 4, 1);
        assertClose(wd.subarray((i * 2 + j) * 2, (i * 2 + j) * 2 + 2), expected, {}, `batch [${i},${j}]`);
      }
    }
  });

  test(`empty inner dimension gives zeros; empty outer gives an empty result ${on}`, async () => {
    assert.equal(await matmul(zeros([2, 0], { device }), zeros([0, 3], { device })).array(), [[0, 0, 0], [0, 0, 0]]);
    assert.equal([...matmul(zeros([0, 4], { device }), zeros([4, 3], { device })).shape], [0, 3]);
  });

  test(`int32 operands multiply as float32 ${on}`, async () => {
    const y = matmul(tensor([[1, 2]], { device, dtype: 'int32' }), tensor([[3], [4]], { device, dtype: 'int32' }));
    assert.is(y.dtype, 'float32');
    assert.equal(await y.array(), [[11]]);
  });

  test(`gradients for every transpose combination ${on}`, async () => {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const a = normal(transposeA ? [4, 3] : [3, 4], device, 8);
        const b = normal(transposeB ? [2, 4] : [4, 2], device, 9);
        await checkGradient((a, b) => weighted(matmul(a, b, { transposeA, transposeB })), [a, b]).catch((e: Error) =>
          assert.unreachable(`transposeA ${transposeA} transposeB ${transposeB}: ${e.message}`));
      }
    }
  });

  test(`gradients of batched products sum over broadcast batch dims ${on}`, async () => {
    await checkGradient((a, b) => weighted(matmul(a, b)), [normal([2, 3, 4], device, 10), normal([4, 2], device, 11)]);
    await checkGradient((a, b) => weighted(matmul(a, b, { transposeB: true })), [normal([3, 1, 2, 4], device, 12), normal([2, 3, 4], device, 13)]);
  });

  test(`chainable methods compose like the functions ${on}`, async () => {
    const x = t([[1, -2]]);
    const w = t([[1, 2], [3, 4]]);
    const y = x.matmul(w).add(t([1, 1])).relu().sum();
    // x·w = [-5, -6] → +1 → [-4, -5] → relu → 0
    assert.is(await y.item(), 0);
    assert.equal(await x.mul(2).sub(1).abs().array(), [[1, 5]]);
  });
}

test.run();
