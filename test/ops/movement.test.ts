// Movement ops: reshape, transpose, broadcastTo, slice, pad, concat, stack, gather,
// oneHot and the helpers built on them — forward by eye, gradients by finite differences.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../../src/autodiff/gradients.js';
import { broadcastTo, concat, expandDims, flatten, gather, mul, oneHot, pad, reshape, slice, squeeze, stack, sum, transpose } from '../../src/ops/index.js';
import { type Tensor, arange, scalar, tensor, zeros } from '../../src/tensor.js';
import { checkGradient } from '../helpers/assert.js';
import { normal, testDevices } from './support.js';

const weighted = (y: Tensor, seed = 99): Tensor => sum(mul(y, normal(y.shape, y.device, seed)));

for (const device of await testDevices()) {
  const on = `[${device.name}]`;
  const t = (values: Parameters<typeof tensor>[0], dtype: 'float32' | 'int32' = 'float32'): Tensor => tensor(values, { device, dtype });
  const range = (n: number, shape: number[]): Tensor => reshape(arange(n, undefined, 1, { device }), shape);

  test(`reshape keeps row-major order and infers one -1 ${on}`, async () => {
    const x = range(6, [2, 3]);
    assert.equal(await reshape(x, [3, 2]).array(), [[0, 1], [2, 3], [4, 5]]);
    assert.equal([...reshape(x, [-1]).shape], [6]);
    assert.equal([...reshape(x, [1, -1, 2]).shape], [1, 3, 2]);
    assert.equal([...reshape(scalar(3, { device }), [1, 1]).shape], [1, 1]);
    assert.equal([...reshape(zeros([0, 4], { device }), [2, 0, -1]).shape], [2, 0, 0]);
    assert.is(await reshape(t([5]), []).item(), 5);
  });

  test(`transpose reverses by default and follows a perm ${on}`, async () => {
    const x = range(6, [2, 3]);
    assert.equal(await transpose(x).array(), [[0, 3], [1, 4], [2, 5]]);
    const y = transpose(range(24, [2, 3, 4]), [2, 0, 1]);
    assert.equal([...y.shape], [4, 2, 3]);
    // y[k, i, j] = x[i, j, k] = 12 i + 4 j + k
    assert.equal(await y.array(), Array.from({ length: 4 }, (_, k) => Array.from({ length: 2 }, (_, i) => Array.from({ length: 3 }, (_, j) => 12 * i + 4 * j + k))));
    assert.equal([...transpose(zeros([0, 2], { device })).shape], [2, 0]);
  });

  test(`broadcastTo repeats size-1 and missing leading axes ${on}`, async () => {
    assert.equal(await broadcastTo(t([1, 2]), [2, 2]).array(), [[1, 2], [1, 2]]);
    assert.equal(await broadcastTo(t([[1], [2]]), [2, 3]).array(), [[1, 1, 1], [2, 2, 2]]);
    assert.equal(await broadcastTo(scalar(7, { device }), [2]).array(), [7, 7]);
    assert.equal([...broadcastTo(t([[1, 2]]), [3, 0, 2]).shape], [3, 0, 2]);
  });

  test(`slice takes a box; -1 runs to the end ${on}`, async () => {
    const x = range(12, [3, 4]);
    assert.equal(await slice(x, [1, 1], [2, 2]).array(), [[5, 6], [9, 10]]);
    assert.equal(await slice(x, [0, 2], [-1, -1]).array(), [[2, 3], [6, 7], [10, 11]]);
    assert.equal(await slice(x, [2, 0]).array(), [[8, 9, 10, 11]]);
    assert.equal([...slice(x, [1, 0], [0, 4]).shape], [0, 4]);
  });

  test(`pad adds a border of the value ${on}`, async () => {
    assert.equal(await pad(t([[1, 2]]), [[1, 0], [0, 2]]).array(), [[0, 0, 0, 0], [1, 2, 0, 0]]);
    assert.equal(await pad(t([1]), [[2, 1]], -1).array(), [-1, -1, 1, -1]);
    assert.equal(await pad(zeros([0], { device }), [[1, 1]], 3).array(), [3, 3]);
  });

  test(`concat joins along any axis, stack along a new one ${on}`, async () => {
    const a = t([[1, 2], [3, 4]]);
    const b = t([[5, 6]]);
    assert.equal(await concat([a, b]).array(), [[1, 2], [3, 4], [5, 6]]);
    assert.equal(await concat([a, t([[7], [8]])], -1).array(), [[1, 2, 7], [3, 4, 8]]);
    assert.equal(await concat([a, zeros([0, 2], { device })], 0).array(), [[1, 2], [3, 4]], 'an empty part adds nothing');
    assert.equal(await stack([t([1, 2]), t([3, 4])]).array(), [[1, 2], [3, 4]]);
    assert.equal(await stack([t([1, 2]), t([3, 4])], 1).array(), [[1, 3], [2, 4]]);
    assert.equal(await stack([t([1, 2]), t([3, 4])], -1).array(), [[1, 3], [2, 4]]);
    assert.equal(await stack([scalar(1, { device }), scalar(2, { device })]).array(), [1, 2]);
  });

  test(`expandDims, squeeze, flatten ${on}`, async () => {
    const x = range(6, [2, 3]);
    assert.equal([...expandDims(x, 1).shape], [2, 1, 3]);
    assert.equal([...expandDims(x, -1).shape], [2, 3, 1]);
    assert.equal([...squeeze(t([[[1], [2]]])).shape], [2]);
    assert.equal([...squeeze(t([[[1], [2]]]), 0).shape], [2, 1]);
    assert.equal([...flatten(range(24, [2, 3, 4])).shape], [2, 12]);
  });

  test(`gather picks along an axis; the indices' shape replaces that axis ${on}`, async () => {
    const x = range(12, [3, 4]);
    assert.equal(await gather(x, t([2, 0, 2], 'int32')).array(), [[8, 9, 10, 11], [0, 1, 2, 3], [8, 9, 10, 11]]);
    assert.equal(await gather(x, t([3, 1], 'int32'), 1).array(), [[3, 1], [7, 5], [11, 9]]);
    assert.equal(await gather(x, t([3], 'int32'), -1).array(), [[3], [7], [11]]);
    const g = gather(x, t([[0, 1], [2, 2]], 'int32'));
    assert.equal([...g.shape], [2, 2, 4]);
    assert.equal(await slice(g, [1, 0, 0], [1, 1, 4]).array(), [[[8, 9, 10, 11]]]);
    assert.equal([...gather(x, t([], 'int32')).shape], [0, 4]);
    const ints = gather(t([10, 20, 30], 'int32'), t([2, 2], 'int32'));
    assert.is(ints.dtype, 'int32');
    assert.equal(await ints.array(), [30, 30]);
  });

  test(`oneHot puts a 1 at each index; out-of-range gives a zero row ${on}`, async () => {
    const y = oneHot(t([0, 2, 5, -1], 'int32'), 3);
    assert.is(y.dtype, 'float32');
    assert.equal(await y.array(), [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]);
    assert.equal([...oneHot(t([[1, 0]], 'int32'), 2).shape], [1, 2, 2]);
    assert.is(oneHot(t([1], 'int32'), 2, 'int32').dtype, 'int32');
  });

  test(`movement gradients match finite differences ${on}`, async () => {
    const x = normal([2, 3, 4], device, 7);
    const cases: [string, (x: Tensor) => Tensor][] = [
      ['reshape', (x) => reshape(x, [4, -1])],
      ['transpose', (x) => transpose(x, [1, 2, 0])],
      ['broadcastTo', (x) => broadcastTo(reshape(x, [2, 1, 12]), [2, 3, 12])],
      ['slice', (x) => slice(x, [1, 0, 1], [1, 2, 3])],
      ['pad', (x) => pad(x, [[0, 1], [2, 0], [1, 1]], 0.5)],
      ['concat', (x) => concat([x, mul(x, x), slice(x, [0, 0, 0], [2, 3, 1])], 2)],
      ['stack', (x) => stack([x, mul(x, 2)], 1)],
      ['expandDims/squeeze', (x) => squeeze(expandDims(x, 1), 1)],
      ['gather (repeated indices)', (x) => gather(x, tensor([2, 0, 2, 2], { device, dtype: 'int32' }), 1)],
      ['gather (2-D indices, last axis)', (x) => gather(x, tensor([[3, 0], [1, 3]], { device, dtype: 'int32' }), -1)],
    ];
    for (const [name, f] of cases) {
      await checkGradient((x) => weighted(f(x)), [x]).catch((e: Error) => assert.unreachable(`${name}: ${e.message}`));
    }
  });

  test(`gather's gradient adds once per pick ${on}`, async () => {
    const [g] = grad((x) => sum(gather(x, tensor([1, 1, 3, 1], { device, dtype: 'int32' }))))(t([0, 0, 0, 0]));
    assert.equal(await g!.array(), [0, 3, 0, 1]);
  });

  test(`concat sends each part its slab of the gradient ${on}`, async () => {
    const [ga, gb] = grad((a, b) => sum(mul(concat([a, b]), t([1, 2, 3]))))(t([0]), t([0, 0]));
    assert.equal(await ga!.array(), [1]);
    assert.equal(await gb!.array(), [2, 3]);
  });
}

test.run();
