// sigmoidCrossEntropy's numerics on every device: the value against float64 for logits
// from -1e4 to 1e4, and the gradient σ(x) − z, exact at 0 (where relu's and |x|'s kinks
// once dropped σ(0) = ½).

import { test } from 'uvu';
import { grad } from '../../src/autodiff/gradients.js';
import { sigmoidCrossEntropy } from '../../src/losses/index.js';
import { tensor } from '../../src/tensor.js';
import { assertClose } from '../helpers/assert.js';
import { testDevices } from '../helpers/devices.js';

const LOGITS = [-1e4, -100, -20, -5, -1, -1e-3, 0, -0, 1e-3, 1, 5, 20, 100, 1e4];
const LABELS = [0, 0.3, 1];

/** −z log σ(x) − (1 − z) log(1 − σ(x)) in float64, through log σ(x) = −log1p(e^{−x}). */
function reference(x: number, z: number): number {
  const logSigmoid = (v: number) => (v >= 0 ? -Math.log1p(Math.exp(-v)) : v - Math.log1p(Math.exp(v)));
  return -z * logSigmoid(x) - (1 - z) * logSigmoid(-x);
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

for (const device of await testDevices()) {
  const on = `[${device.name}]`;

  test(`sigmoidCrossEntropy is correct and finite for logits from -1e4 to 1e4 ${on}`, async () => {
    for (const z of LABELS) {
      for (const x of LOGITS) {
        const loss = await sigmoidCrossEntropy(tensor([x], { device }), tensor([z], { device })).item();
        // float32 resolves x·z to half an ulp of |x|
        const tolerance = Math.max(1e-7, 2 ** -24 * Math.abs(x));
        assertClose([loss], [reference(Math.fround(x), z)], { atol: tolerance, rtol: 1e-6 }, `x = ${x}, z = ${z}`);
      }
    }
  });

  test(`sigmoidCrossEntropy's gradient is (σ(x) − z) / n, ½ − z at 0 ${on}`, async () => {
    for (const z of LABELS) {
      const x = tensor(LOGITS, { device });
      const labels = tensor(LOGITS.map(() => z), { device });
      const [dx] = grad((x) => sigmoidCrossEntropy(x, labels))(x);
      const expected = LOGITS.map((v) => (sigmoid(Math.fround(v)) - z) / LOGITS.length);
      assertClose(await dx!.data(), expected, { atol: 1e-7, rtol: 1e-5 }, `z = ${z}`);
    }
    const [atZero] = grad((x) => sigmoidCrossEntropy(x, tensor([0, 1], { device })))(tensor([0, 0], { device }));
    assertClose(await atZero!.data(), [0.25, -0.25], { atol: 0 , rtol: 0 }, 'at 0, exactly');
  });
}

test.run();
