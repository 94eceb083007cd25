// Reductions: sum, mean, max, min, argmax, argmin along one axis, a list, negative axes
// and all axes, with and without keepDims; gradients against finite differences.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../../src/autodiff/gradients.js';
import { argmax, argmin, max, mean, min, mul, sum } from '../../src/ops/index.js';
import { type Tensor, scalar, tensor, zeros } from '../../src/tensor.js';
import { assertClose, checkGradient } from '../helpers/assert.js';
import { normal, testDevices } from './support.js';

const weighted = (y: Tensor, seed = 99): Tensor => sum(mul(y, normal(y.shape, y.device, seed)));

for (const device of await testDevices()) {
  const on = `[${device.name}]`;
  // x[i,j,k] = 100 i + 10 j + k, shape [2,3,4]: every reduction is easy to check by eye
  const cube = (): Tensor => tensor(Array.from({ length: 24 }, (_, n) => 100 * Math.floor(n / 12) + 10 * Math.floor((n % 12) / 4) + (n % 4)), { device, shape: [2, 3, 4] });
  const m = (): Tensor => tensor([[1, 5, 3], [4, 2, 6]], { device });

  test(`sum over all, one axis, negative axis, a list ${on}`, async () => {
    assert.is(await sum(m()).item(), 21);
    assert.equal([...sum(m()).shape], []);
    assert.equal(await sum(m(), 0).array(), [5, 7, 9]);
    assert.equal(await sum(m(), 1).array(), [9, 12]);
    assert.equal(await sum(m(), -1).array(), [9, 12]);
    assert.equal(await sum(m(), [0, 1]).array(), 21);
    const c = sum(cube(), [0, 2]); // Σ_i Σ_k (100 i + 10 j + k) = 4·100 + 8·10 j + 2·6
    assert.equal([...c.shape], [3]);
    assert.equal(await c.array(), [412, 492, 572]);
    assert.equal(await sum(cube(), [-3, -1]).array(), [412, 492, 572], 'negative axes in a list');
  });

  test(`keepDims keeps reduced axes as size 1 ${on}`, async () => {
    const y = sum(m(), 1, { keepDims: true });
    assert.equal([...y.shape], [2, 1]);
    assert.equal(await y.array(), [[9], [12]]);
    assert.equal([...sum(cube(), [0, 2], { keepDims: true }).shape], [1, 3, 1]);
    assert.equal([...max(m(), undefined, { keepDims: true }).shape], [1, 1]);
  });

  test(`mean, max, min ${on}`, async () => {
    assert.equal(await mean(m(), 0).array(), [2.5, 3.5, 4.5]);
    assert.is(await mean(m()).item(), 3.5);
    assert.equal(await max(m(), 1).array(), [5, 6]);
    assert.equal(await min(m(), 0).array(), [1, 2, 3]);
    assert.equal(await max(cube(), [1, 2]).array(), [23, 123]);
    assert.equal(await min(cube(), -2).array(), [[0, 1, 2, 3], [100, 101, 102, 103]]);
  });

  test(`argmax and argmin give int32 indices, the first on ties ${on}`, async () => {
    const a = argmax(m(), 1);
    assert.is(a.dtype, 'int32');
    assert.equal(await a.array(), [1, 2]);
    assert.equal(await argmin(m(), 0).array(), [0, 1, 0]);
    assert.equal(await argmax(m()).array(), [1, 2], 'default axis is the last');
    assert.equal(await argmax(tensor([3, 7, 7, 1], { device })).array(), 1, 'first of tied maxima');
    assert.equal(await argmin(tensor([2, 0, 5, 0], { device })).array(), 1, 'first of tied minima');
    assert.equal([...argmax(m(), 1, { keepDims: true }).shape], [2, 1]);
  });

  test(`reductions of scalars, size-1 axes and empty axes ${on}`, async () => {
    const s = scalar(4, { device });
    assert.is(await sum(s).item(), 4);
    assert.is(await max(s).item(), 4);
    assert.equal(await sum(tensor([[7, 8]], { device }), 0).array(), [7, 8]);
    assert.equal(await sum(zeros([0, 3], { device }), 0).array(), [0, 0, 0], 'the sum of nothing is 0');
    assert.equal([...sum(zeros([0, 3], { device }), 1).shape], [0]);
    assert.is(await sum(tensor([1, 2, 3], { device, dtype: 'int32' })).item(), 6);
    assert.is(sum(tensor([1, 2], { device, dtype: 'int32' })).dtype, 'int32');
  });

  test(`sum gradient broadcasts back over the reduced axes ${on}`, async () => {
    const x = normal([2, 3, 4], device, 3);
    await checkGradient((x) => weighted(sum(x, 1)), [x]);
    await checkGradient((x) => weighted(sum(x, [0, 2], { keepDims: true })), [x]);
    await checkGradient((x) => weighted(mean(x, -1)), [x]);
    await checkGradient((x) => sum(x), [x]);
  });

  test(`max/min gradient goes to the extremum (no ties) ${on}`, async () => {
    const x = normal([3, 4], device, 4);
    await checkGradient((x) => weighted(max(x, 1)), [x]);
    await checkGradient((x) => weighted(min(x, 0)), [x]);
    await checkGradient((x) => weighted(max(x, [0, 1])), [x]);
  });

  test(`max gradient is shared equally among ties ${on}`, async () => {
    const [g] = grad((x) => max(x))(tensor([1, 3, 3, 2], { device }));
    assertClose(await g!.data(), [0, 0.5, 0.5, 0]);
  });
}

test.run();
