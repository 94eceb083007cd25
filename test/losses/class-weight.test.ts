// softmaxCrossEntropy's `weight` option (PyTorch's CrossEntropyLoss(weight=)) on every
// device. PyTorch is not installed here: the expected values are worked out by hand (in the
// comments) from PyTorch's documented definitions —
//   class indices:     Σ_n w[y_n]·(−log p_{n,y_n}) / Σ_n w[y_n]
//     with smoothing:  (1 − ε)·that + (ε/C)·Σ_n Σ_c w_c·(−log p_nc) / Σ_n w[y_n]
//                      (aten cross_entropy_loss_label_smoothing: the smooth part is divided
//                      by the same Σ w[y_n])
//   probability rows:  Σ_n Σ_c −w_c·t_nc·log p_nc / N   (t smoothed first; no division by w).
// Logits are chosen so the log-probabilities are logs of small integers' ratios:
// [0, 0, 0] → p = 1/3 each; [ln 2, 0, 0] → p = [1/2, 1/4, 1/4].

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../../src/autodiff/gradients.js';
import { cpu } from '../../src/device/cpu.js';
import type { Device } from '../../src/device/device.js';
import { TensorLoopError } from '../../src/errors.js';
import { softmaxCrossEntropy } from '../../src/losses/index.js';
import { softmax } from '../../src/ops/index.js';
import { type Tensor, fromData, randn, tensor } from '../../src/tensor.js';
import { assertClose, checkGradient } from '../helpers/assert.js';
import { testDevices, testWebGpu } from '../helpers/devices.js';

const { LN2 } = Math;
const LN3 = Math.log(3);
const W = [1, 2, 3];

for (const device of await testDevices()) {
  const on = `[${device.name}]`;
  const logits = tensor([[0, 0, 0], [LN2, 0, 0]], { device });
  const labels = tensor([2, 0], { dtype: 'int32', device });
  const weight = tensor(W, { device });

  test(`class weights with int labels: the weighted mean Σ w[y]·l / Σ w[y], and its gradient ${on}`, async () => {
    // l_0 = ln 3 (weight w_2 = 3), l_1 = −log ½ = ln 2 (weight w_0 = 1)
    assertClose([await softmaxCrossEntropy(logits, labels, { weight }).item()], [(3 * LN3 + LN2) / 4], { rtol: 1e-6 });
    assertClose([await softmaxCrossEntropy(logits, labels, { weight: W }).item()], [(3 * LN3 + LN2) / 4], { rtol: 1e-6 }, 'weights as numbers');
    // d/dx_nc = w[y_n]·(p_nc − [c = y_n]) / Σ w[y]: row 0 3·(⅓ − [c=2])/4, row 1 1·(p − [c=0])/4
    const [g] = grad((x) => softmaxCrossEntropy(x, labels, { weight }))(logits);
    assertClose(await g!.data(), [0.25, 0.25, -0.5, -0.125, 0.0625, 0.0625], { atol: 1e-7 });
  });

  test(`class weights with label smoothing weight the ε/C part per class, divided by Σ w[y] ${on}`, async () => {
    // ε = 0.3, C = 3: row 0 target w ⊙ (0.1, 0.1, 0.8) = (0.1, 0.2, 2.4), every −log p = ln 3 → 2.7 ln 3;
    // row 1 w ⊙ (0.8, 0.1, 0.1) = (0.8, 0.2, 0.3) against (ln 2, ln 4, ln 4) → 1.8 ln 2; / (3 + 1).
    // PyTorch's split form gives the same: 0.7·(3 ln3 + ln2)/4 + 0.1·(6 ln3 + 11 ln2)/4.
    const loss = await softmaxCrossEntropy(logits, labels, { weight, labelSmoothing: 0.3 }).item();
    assertClose([loss], [(2.7 * LN3 + 1.8 * LN2) / 4], { rtol: 1e-6 });
    assertClose([loss], [(0.7 * (3 * LN3 + LN2) + 0.1 * (6 * LN3 + 11 * LN2)) / 4], { rtol: 1e-6 });
  });

  test(`class weights with probability rows scale each class's term; the mean stays over N ${on}`, async () => {
    const probabilities = tensor([[0.5, 0.5, 0], [0, 0, 1]], { device });
    // row 0: 1·½·ln 3 + 2·½·ln 3 = 1.5 ln 3; row 1: 3·ln 4 = 6 ln 2; / N = 2
    assertClose([await softmaxCrossEntropy(logits, probabilities, { weight }).item()], [(1.5 * LN3 + 6 * LN2) / 2], { rtol: 1e-6 });
    // ε = 0.3: t = 0.7·t + 0.1 = (0.45, 0.45, 0.1) and (0.1, 0.1, 0.8) → w⊙t = (0.45, 0.9, 0.3), (0.1, 0.2, 2.4)
    // row 0: 1.65 ln 3; row 1: 0.1 ln 2 + 2.6 · 2 ln 2 = 5.3 ln 2
    assertClose([await softmaxCrossEntropy(logits, probabilities, { weight, labelSmoothing: 0.3 }).item()], [(1.65 * LN3 + 5.3 * LN2) / 2], { rtol: 1e-6 });
  });

  test(`weights of one are the unweighted loss; NaN in, NaN out; Σ w[y] = 0 is 0/0 ${on}`, async () => {
    const x = randn([6, 5], { seed: 4, std: 2, device });
    const y = tensor([0, 4, 2, 2, 1, 3], { dtype: 'int32', device });
    const p = softmax(randn([6, 5], { seed: 5, device }));
    for (const target of [y, p]) {
      for (const eps of [0, 0.1]) {
        const plain = await softmaxCrossEntropy(x, target, { labelSmoothing: eps }).item();
        assertClose([await softmaxCrossEntropy(x, target, { labelSmoothing: eps, weight: [1, 1, 1, 1, 1] }).item()], [plain], { rtol: 1e-6 }, `${target.dtype} ε ${eps}`);
      }
    }
    // a weight of 10 on every class: int labels cancel in the ratio, probability rows scale by 10
    assertClose([await softmaxCrossEntropy(x, y, { weight: [10, 10, 10, 10, 10] }).item()], [await softmaxCrossEntropy(x, y).item()], { rtol: 1e-6 });
    assertClose([await softmaxCrossEntropy(x, p, { weight: [10, 10, 10, 10, 10] }).item()], [10 * (await softmaxCrossEntropy(x, p).item())], { rtol: 1e-6 });
    assert.ok(Number.isNaN(await softmaxCrossEntropy(x, y, { weight: [1, NaN, 1, 1, 1] }).item()), 'a NaN weight of an unused class still reaches the sum');
    assert.ok(Number.isNaN(await softmaxCrossEntropy(logits, tensor([2, 2], { dtype: 'int32', device }), { weight: [1, 1, 0] }).item()), 'Σ w[y] = 0 → 0/0 = NaN, as PyTorch');
  });
}

test('the weighted loss agrees with finite differences (int labels with smoothing, probability rows, leading axes)', async () => {
  const x = randn([2, 3, 4], { seed: 3 });
  const y = tensor([[0, 1, 3], [2, 2, 0]], { dtype: 'int32' });
  await checkGradient((a) => softmaxCrossEntropy(a, y, { weight: [0.5, 2, 1, 3] }), [x]);
  await checkGradient((a) => softmaxCrossEntropy(a, y, { weight: [0.5, 2, 1, 3], labelSmoothing: 0.2 }), [x]);
  const p = softmax(randn([2, 3, 4], { seed: 8 }));
  await checkGradient((a) => softmaxCrossEntropy(a, p, { weight: [0.5, 2, 1, 3], labelSmoothing: 0.1 }), [x]);
});

test('a weight of the wrong length, dtype or device is a TensorLoopError naming softmaxCrossEntropy', async () => {
  const x = randn([2, 3]);
  const y = tensor([0, 2], { dtype: 'int32' });
  const fails = (weight: unknown, pattern: RegExp) =>
    assert.throws(() => softmaxCrossEntropy(x, y, { weight: weight as number[] }), (e: Error) => e instanceof TensorLoopError && pattern.test(e.message));
  fails([1, 2], /^softmaxCrossEntropy: weight must hold one number per class \(3\), got 2 entries/);
  fails(tensor([1, 2, 3, 4]), /weight must be a float32 tensor shaped \[3\].*float32 \[4\]/);
  fails(tensor([1, 2, 3], { dtype: 'int32' }), /weight must be a float32 tensor shaped \[3\].*int32 \[3\]/);
  fails('heavy', /weight must be a Tensor/);
  const gpu = await testWebGpu();
  if (gpu) fails(tensor([1, 2, 3], { device: gpu }), /different devices/);
});

const gpu = await testWebGpu();
if (gpu) {
  test('weighted loss and gradient on WebGPU match the CPU on random, odd-sized and large inputs', async () => {
    for (const [rows, classes, smoothing, probabilities] of [[1, 1, 0, false], [7, 3, 0.1, false], [33, 17, 0, true], [257, 127, 0.2, false], [129, 65, 0.05, true]] as const) {
      const run = async (device: Device) => {
        const x = randn([rows, classes], { seed: 1, std: 3, device });
        const weights = Array.from({ length: classes }, (_, c) => 0.25 + ((c * 37) % 11) / 4);
        const target: Tensor = probabilities
          ? fromData(await softmax(randn([rows, classes], { seed: 2 })).data(), [rows, classes], device)
          : fromData(Int32Array.from({ length: rows }, (_, n) => (n * 7 + 3) % classes), [rows], device);
        const f = (a: Tensor) => softmaxCrossEntropy(a, target, { weight: weights, labelSmoothing: smoothing });
        const [g] = grad(f)(x);
        return [await f(x).data(), await g!.data()];
      };
      const [[lossGpu, gradGpu], [lossCpu, gradCpu]] = [await run(gpu), await run(cpu)];
      const what = `${rows}×${classes} ε ${smoothing} ${probabilities ? 'probabilities' : 'int labels'}`;
      assertClose(lossGpu!, lossCpu!, { atol: 1e-5, rtol: 1e-4 }, `loss ${what}`);
      assertClose(gradGpu!, gradCpu!, { atol: 1e-6, rtol: 1e-4 }, `gradient ${what}`);
    }
  });

  test('an int label out of range on WebGPU with weights raises a TensorLoopError at the next read', async () => {
    const labels = fromData(Int32Array.from([1, 7, 0]), [3], gpu);
    const loss = softmaxCrossEntropy(randn([3, 5], { seed: 1, device: gpu }), labels, { weight: [1, 2, 3, 4, 5] });
    let message = 'no error';
    await loss.data().catch((e: Error) => (message = e.message));
    assert.match(message, /7/);
  });
}

test.run();
