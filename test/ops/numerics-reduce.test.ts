// NaN and infinities through reductions, pooling and the log-sum-exp family, on every
// device and through every WebGPU reduction variant (serial, workgroup tree, vec4 reads,
// two passes): a NaN wins every comparison, as in PyTorch.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../../src/autodiff/gradients.js';
import * as ops from '../../src/ops/index.js';
import { softmaxCrossEntropy } from '../../src/ops/softmax-cross-entropy.js';
import { type Tensor, tensor } from '../../src/tensor.js';
import { assertClose } from '../helpers/assert.js';
import { testDevices } from './support.js';

/** Row lengths that reach each WebGPU reduction variant: serial (≤ 64; 8 with vec4 reads),
 * a workgroup tree (300; 400 with vec4 reads), and two passes (a single row of 20,000). */
const ROW_LENGTHS = [5, 8, 300, 400, 20000];

for (const device of await testDevices()) {
  const on = `[${device.name}]`;
  const t = (values: number[] | Float32Array, shape?: number[]): Tensor => tensor(values, { device, shape: shape ?? [values.length] });

  test(`max/min of a row holding NaN are NaN; argmax/argmin give the first NaN's index ${on}`, async () => {
    for (const n of ROW_LENGTHS) {
      // row 0: NaNs at 3 and n-2 among finite values; row 1: all finite, ties at the max and min
      const values = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) values[i] = values[n + i] = (i % 7) - 3;
      values[3] = NaN;
      values[n - 2] = NaN;
      const x = t(values, [2, n]);
      const what = `row length ${n}`;
      const finite = Array.from(values.slice(n));
      const [top, bottom] = [Math.max(...finite), Math.min(...finite)];
      assertClose(await ops.max(x, 1).data(), [NaN, top], {}, `max, ${what}`);
      assertClose(await ops.min(x, 1).data(), [NaN, bottom], {}, `min, ${what}`);
      assert.equal(await ops.argmax(x, 1).array(), [3, finite.indexOf(top)], `argmax, ${what}`);
      assert.equal(await ops.argmin(x, 1).array(), [3, finite.indexOf(bottom)], `argmin, ${what}`);
      // the NaN first and last in the row too
      const first = values.slice(n, 2 * n);
      first[0] = NaN;
      first[n - 1] = NaN;
      assert.equal(await ops.argmax(t(first)).item(), 0, `argmax, NaN first, ${what}`);
      const last = values.slice(n, 2 * n);
      last[n - 1] = NaN;
      assert.equal(await ops.argmin(t(last)).item(), n - 1, `argmin, NaN last, ${what}`);
      assertClose([await ops.max(t(last)).item()], [NaN], {}, `max, NaN last, ${what}`);
    }
  });

  test(`max/min/argmax over infinities: -Inf rows, ties keep the first index ${on}`, async () => {
    const x = t([-Infinity, -Infinity, -Infinity, Infinity, 1, Infinity], [2, 3]);
    assert.equal(await ops.max(x, 1).array(), [-Infinity, Infinity]);
    assert.equal(await ops.argmax(x, 1).array(), [0, 0]);
    assert.equal(await ops.argmin(x, 1).array(), [0, 1]);
  });

  test(`the gradient of max flows to the NaN positions when the max is NaN (as PyTorch) ${on}`, async () => {
    const [dx] = grad((x: Tensor) => ops.max(x))(t([1, NaN, 3, NaN]));
    assertClose(await dx!.data(), [0, 0.5, 0, 0.5], {}, 'max');
    const [dy] = grad((x: Tensor) => ops.sum(ops.min(x, 1)))(t([1, NaN, 3, 2, 0, 0], [2, 3]));
    assertClose(await dy!.data(), [0, 1, 0, 0, 0.5, 0.5], {}, 'min along rows');
  });

  test(`int32 sums wrap modulo 2^32, exactly even past 2^53 ${on}`, async () => {
    const x = tensor([2147483647, 1, 2147483647, 2147483647], { device, dtype: 'int32' });
    assert.is(await ops.sum(x).item(), 2147483646);
    // 5M × (2³¹ − 1) passes 2⁵³, where a float64 running sum stops being exact
    const n = 5_000_000;
    const big = tensor(new Int32Array(n).fill(2147483647), { device });
    assert.is(await ops.sum(big).item(), Number(BigInt.asIntN(32, BigInt(n) * 2147483647n)));
  });

  test(`maxPool2d: a window holding NaN gives NaN, and its gradient goes to the first NaN ${on}`, async () => {
    // one 4x4 image, one channel, 2x2 windows: NaN in the first window (twice), -Inf in the
    // second, +Inf in the third, the fourth finite
    const image = [
      [1, NaN, -Infinity, -Infinity],
      [NaN, 2, -Infinity, -5],
      [Infinity, 0, 7, 8],
      [3, Infinity, 9, 6],
    ].flat();
    const x = t(image, [1, 4, 4, 1]);
    assertClose(await ops.maxPool2d(x, { windowSize: 2 }).data(), [NaN, -5, Infinity, 9], {}, 'forward');
    assertClose(await ops.avgPool2d(x, { windowSize: 2 }).data(), [NaN, -Infinity, Infinity, 7.5], {}, 'avgPool2d');
    const [dx] = grad((x: Tensor) => ops.sum(ops.maxPool2d(x, { windowSize: 2 })))(x);
    assert.equal(Array.from(await dx!.data()), [0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0], 'gradient');
    // a NaN later in a window than its maximum still wins
    const late = t([5, 1, 2, NaN], [1, 2, 2, 1]);
    assertClose(await ops.maxPool2d(late, { windowSize: 2 }).data(), [NaN], {}, 'late NaN');
    const [dLate] = grad((x: Tensor) => ops.sum(ops.maxPool2d(x, { windowSize: 2 })))(late);
    assert.equal(Array.from(await dLate!.data()), [0, 0, 0, 1], 'late NaN gradient');
  });

  test(`logSumExp: a row of -Inf gives -Inf, a row holding +Inf gives +Inf ${on}`, async () => {
    const x = t([-Infinity, -Infinity, -Infinity, Infinity, 0, -Infinity, 0, Math.log(3), -Infinity, NaN, 1, 2], [4, 3]);
    assertClose(await ops.logSumExp(x, 1).data(), [-Infinity, Infinity, Math.log(4), NaN], { rtol: 1e-6 });
    assertClose(await ops.logSumExp(t([88, 88, 88])).data(), [88 + Math.log(3)], { rtol: 1e-6 }, 'large finite row');
  });

  test(`softmax and logSoftmax: a -Inf entry gets probability 0; all -Inf or a +Inf gives NaN, as PyTorch ${on}`, async () => {
    const x = t([0, -Infinity, 0, -Infinity, -Infinity, -Infinity, Infinity, 0, 1], [3, 3]);
    assertClose(await ops.softmax(x, 1).data(), [0.5, 0, 0.5, NaN, NaN, NaN, NaN, NaN, NaN], { rtol: 1e-6 }, 'softmax');
    assertClose(await ops.logSoftmax(x, 1).data(), [-Math.LN2, -Infinity, -Math.LN2, NaN, NaN, NaN, NaN, NaN, NaN], { rtol: 1e-6 }, 'logSoftmax');
  });

  test(`softmaxCrossEntropy: a NaN logit or label gives NaN, a -Inf logit is probability 0, as PyTorch ${on}`, async () => {
    const loss = async (logits: number[], labels: Tensor) => softmaxCrossEntropy(t(logits, [1, logits.length]), labels).item();
    const label = (c: number) => tensor([c], { device, dtype: 'int32' });
    for (const at of [0, 2]) {
      const logits = [1, 2, 3];
      logits[at] = NaN;
      assertClose([await loss(logits, label(1))], [NaN], {}, `NaN logit at ${at}`);
    }
    assertClose([await loss([0, -Infinity, 0], label(0))], [Math.LN2], { rtol: 1e-6 }, '-Inf logit, not the label');
    assertClose([await loss([0, -Infinity, 0], label(1))], [Infinity], {}, '-Inf logit of the label');
    assertClose([await loss([0, -Infinity, 0], t([0.5, 0, 0.5], [1, 3]))], [Math.LN2], { rtol: 1e-6 }, 'probabilities, 0 on the -Inf class');
    assertClose([await loss([0, 1, 2], t([NaN, 0, 1], [1, 3]))], [NaN], {}, 'NaN probability');
    const [dx] = grad((x: Tensor) => softmaxCrossEntropy(x, label(0)))(t([NaN, 1, 2], [1, 3]));
    assertClose(await dx!.data(), [NaN, NaN, NaN], {}, 'gradient of a NaN row');
  });
}

test.run();
