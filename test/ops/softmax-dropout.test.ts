// softmax, logSoftmax, logSumExp (stable composites) and dropout: forward by hand and
// against the plain formula, stability for large inputs, gradients by finite differences,
// dropout's seeded mask and its scaling.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../../src/autodiff/gradients.js';
import { dropout, logSoftmax, logSumExp, mul, softmax, sum } from '../../src/ops/index.js';
import { type Tensor, ones, tensor } from '../../src/tensor.js';
import { assertClose, checkGradient } from '../helpers/assert.js';
import { normal, testDevices } from './support.js';

const weighted = (y: Tensor, seed = 99): Tensor => sum(mul(y, normal(y.shape, y.device, seed)));

/** softmax of one row in float64, straight from the definition. */
const softmaxRow = (row: number[]): number[] => {
  const e = row.map(Math.exp);
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
};

for (const device of await testDevices()) {
  const on = `[${device.name}]`;
  const t = (values: Parameters<typeof tensor>[0]): Tensor => tensor(values, { device });

  test(`softmax follows the definition along the last axis by default ${on}`, async () => {
    const y = softmax(t([[1, 2, 3], [0, 0, 0]]));
    assert.equal([...y.shape], [2, 3]);
    assertClose(await y.data(), [...softmaxRow([1, 2, 3]), 1 / 3, 1 / 3, 1 / 3], { atol: 1e-6 });
    const cols = softmax(t([[1, 2], [3, 5]]), 0);
    assertClose(await cols.data(), [softmaxRow([1, 3])[0]!, softmaxRow([2, 5])[0]!, softmaxRow([1, 3])[1]!, softmaxRow([2, 5])[1]!], { atol: 1e-6 });
  });

  test(`softmax and logSoftmax are stable for large logits ${on}`, async () => {
    const x = t([[1000, 1001, 1002], [-1000, -1000, -1000]]);
    assertClose(await softmax(x).data(), [...softmaxRow([0, 1, 2]), 1 / 3, 1 / 3, 1 / 3], { atol: 1e-6 });
    const ls = await logSoftmax(x).data();
    assert.ok(Array.from(ls).every(Number.isFinite), `finite: ${Array.from(ls)}`);
    assertClose(ls, [...softmaxRow([0, 1, 2]).map(Math.log), ...[1, 1, 1].map(() => -Math.log(3))], { atol: 1e-5 });
    assertClose(await logSumExp(x).data(), [1002 + Math.log(Math.exp(-2) + Math.exp(-1) + 1), -1000 + Math.log(3)], { atol: 1e-3 });
  });

  test(`logSoftmax equals log of softmax; logSumExp keeps dims on request ${on}`, async () => {
    const x = normal([3, 5], device, 1);
    const s = await softmax(x).data();
    assertClose(await logSoftmax(x).data(), Array.from(s, Math.log), { atol: 1e-5 });
    const rows = await sum(softmax(x, -1), -1).data();
    assertClose(rows, [1, 1, 1], { atol: 1e-6 }, 'rows sum to 1');
    assert.equal([...logSumExp(x, 0, { keepDims: true }).shape], [1, 5]);
    assert.equal([...logSumExp(x, 0).shape], [5]);
  });

  test(`softmax of a size-1 axis is 1 ${on}`, async () => {
    assert.equal(await softmax(t([[5], [-3]])).array(), [[1], [1]]);
  });

  test(`gradients of softmax, logSoftmax, logSumExp ${on}`, async () => {
    const x = normal([3, 4], device, 2);
    await checkGradient((x) => weighted(softmax(x)), [x]);
    await checkGradient((x) => weighted(softmax(x, 0)), [x]);
    await checkGradient((x) => weighted(logSoftmax(x)), [x]);
    await checkGradient((x) => weighted(logSumExp(x, 1)), [x]);
  });

  test(`the gradient of Σ logSoftmax·onehot is onehot − softmax ${on}`, async () => {
    const x = t([[1, 2, 3]]);
    const target = t([[0, 1, 0]]);
    const [g] = grad((x) => sum(mul(logSoftmax(x), target)))(x);
    const p = softmaxRow([1, 2, 3]);
    assertClose(await g!.data(), [-p[0]!, 1 - p[1]!, -p[2]!], { atol: 1e-6 });
  });

  // ------------------------------------------------------------ dropout

  test(`dropout with rate 0 is the identity ${on}`, () => {
    const x = t([1, 2]);
    assert.is(dropout(x, 0), x);
  });

  test(`dropout zeroes about rate of the elements and scales the rest by 1/(1-rate) ${on}`, async () => {
    const n = 10000;
    const y = Array.from(await dropout(ones([n], { device }), 0.3, { seed: 5 }).data());
    const zeros = y.filter((v) => v === 0).length;
    assert.ok(Math.abs(zeros / n - 0.3) < 0.02, `dropped ${zeros / n}`);
    assert.ok(y.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6), 'kept values are scaled');
    const mean = y.reduce((a, b) => a + b, 0) / n;
    assert.ok(Math.abs(mean - 1) < 0.03, `the mean is kept: ${mean}`);
  });

  test(`dropout masks are reproducible by seed ${on}`, async () => {
    const x = normal([64], device, 6);
    const a = Array.from(await dropout(x, 0.5, { seed: 11 }).data());
    const b = Array.from(await dropout(x, 0.5, { seed: 11 }).data());
    const c = Array.from(await dropout(x, 0.5, { seed: 12 }).data());
    assert.equal(a, b);
    assert.not.equal(a, c);
  });

  test(`dropout's gradient is its mask over (1 - rate) ${on}`, async () => {
    const x = normal([32], device, 7);
    const y = Array.from(await dropout(x, 0.25, { seed: 3 }).data());
    const [g] = grad((x) => sum(dropout(x, 0.25, { seed: 3 })))(x);
    assertClose(await g!.data(), y.map((v) => (v === 0 ? 0 : 1 / 0.75)), { atol: 1e-6 });
  });
}

test.run();
