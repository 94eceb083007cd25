// biasActivation, the fused act(x + b) of Dense and Conv2D, held to its composite definition
// activation(add(x, b)) on every device: values, NaN and −0, gradients (also against finite
// differences), the layers that use it, and errors. Sums over leading axes (the bias
// gradient's column sum) against the row-reduction path.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../../src/autodiff/gradients.js';
import { Conv2D, Dense } from '../../src/nn/index.js';
import { add, biasActivation, matmul, mul, pow, relu, sum, transpose } from '../../src/ops/index.js';
import { type Tensor, tensor } from '../../src/tensor.js';
import { assertClose, checkGradient } from '../helpers/assert.js';
import { assertOpError, awayFromZero, input, normal, testDevices } from './support.js';

const composite = (x: Tensor, b: Tensor, activation: 'identity' | 'relu'): Tensor => (activation === 'relu' ? relu(add(x, b)) : add(x, b));

for (const device of await testDevices()) {
  const on = `[${device.name}]`;

  test(`biasActivation adds the bias along the last axis, then the activation ${on}`, async () => {
    const x = tensor([[1, -2, 3], [-4, 5, -6]], { device });
    const b = tensor([0.5, 1, -1], { device });
    assert.equal(await biasActivation(x, b).array(), [[1.5, -1, 2], [-3.5, 6, -7]]);
    assert.equal(await biasActivation(x, b, 'relu').array(), [[1.5, 0, 2], [0, 6, 0]]);
  });

  test(`biasActivation keeps NaN and gives relu(−0) = +0 as the composite ${on}`, async () => {
    const x = tensor([Number.NaN, -0, 0, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], { device, shape: [1, 6] });
    const b = tensor([1, 0, -0, 1, 0, 0], { device });
    for (const activation of ['identity', 'relu'] as const) {
      const fused = Array.from(await biasActivation(x, b, activation).data(), (v) => Object.is(v, -0) ? '-0' : String(v));
      const reference = Array.from(await composite(x, b, activation).data(), (v) => Object.is(v, -0) ? '-0' : String(v));
      assert.equal(fused, reference, activation);
    }
  });

  for (const [shape, what] of [
    [[5, 7], 'odd columns'],
    [[3, 4, 4, 8], 'NHWC, columns a multiple of 4'],
    [[2, 3, 5, 6], 'NHWC, 6 channels'],
    [[300, 12], 'many rows'],
    [[6], 'rank 1'],
  ] as const) {
    for (const activation of ['identity', 'relu'] as const) {
      test(`biasActivation ${activation} equals the composite, values and gradients, ${what} ${on}`, async () => {
        const x = normal(shape, device, 1);
        const b = normal([shape[shape.length - 1]!], device, 2);
        assertClose(await biasActivation(x, b, activation).data(), await composite(x, b, activation).data(), { atol: 0, rtol: 0 }, 'values');
        const r = normal(shape, device, 3);
        const loss = (f: typeof composite) => (xs: Tensor, bs: Tensor) => sum(mul(f(xs, bs, activation), r));
        const [gx, gb] = grad(loss(biasActivation))(x, b);
        const [cx, cb] = grad(loss(composite))(x, b);
        assertClose(await gx!.data(), await cx!.data(), { atol: 0, rtol: 0 }, 'dx');
        assertClose(await gb!.data(), await cb!.data(), { atol: 1e-4, rtol: 1e-5 }, 'db');
      });
    }
  }

  test(`biasActivation gradients match finite differences ${on}`, async () => {
    const x = awayFromZero([3, 2, 5], device, 4, 0.5);
    const b = tensor([0.1, -0.2, 0.05, 0.15, -0.1], { device });
    const r = normal([3, 2, 5], device, 5);
    for (const activation of ['identity', 'relu'] as const) {
      await checkGradient((xs, bs) => sum(mul(biasActivation(xs, bs, activation), r)), [x, b]);
    }
  });

  test(`biasActivation's gradient is differentiated again like the composite's (Hessian-vector products) ${on}`, async () => {
    const x = awayFromZero([3, 4], device, 9, 0.3);
    const b = normal([4], device, 10);
    const v = normal([4], device, 11);
    for (const activation of ['identity', 'relu'] as const) {
      // f(b) = Σ act(x + b)³: its Hessian in b is not zero, so the second pass is exercised
      const hv = (f: typeof composite) => {
        const g = (bs: Tensor) => sum(mul(grad((cs: Tensor) => sum(pow(f(x, cs, activation), 3)))(bs)[0]!, v));
        return grad(g)(b)[0]!;
      };
      assertClose(await hv(biasActivation).data(), await hv(composite).data(), { atol: 1e-4, rtol: 1e-4 }, activation);
    }
  });

  test(`Dense and Conv2D with relu or no activation give the unfused composite ${on}`, async () => {
    const dense = new Dense(5, 3, { activation: 'relu', seed: 3, device });
    const xd = normal([4, 5], device, 6);
    const expectedDense = relu(add(matmul(xd, dense.weight), dense.bias!));
    assertClose(await dense.forward(xd).data(), await expectedDense.data(), { atol: 0, rtol: 0 }, 'dense');
    const conv = new Conv2D([3, 3, 2, 4], { padding: 'same', seed: 4, device });
    const xc = normal([2, 5, 5, 2], device, 7);
    assert.equal([...conv.forward(xc).shape], [2, 5, 5, 4]);
  });

  test(`sums over leading axes (column sums) equal the transposed row sums ${on}`, async () => {
    for (const shape of [[7, 3], [2, 3, 4, 5], [1000, 6], [33, 8], [0, 4], [129, 1]]) {
      const x = normal(shape, device, 8);
      const lead = shape.length === 2 ? [0] : [0, 1, 2];
      const columns = sum(x, lead);
      const rest = shape.slice(lead.length);
      const moved = transpose(x, [...rest.map((_, i) => lead.length + i), ...lead]); // reduced axes last: the row path
      const rows = sum(moved, lead.map((_, i) => rest.length + i));
      assert.equal([...columns.shape], rest);
      assertClose(await columns.data(), await rows.data(), { atol: 1e-4, rtol: 1e-5 }, `shape [${shape}]`);
    }
  });

  test(`biasActivation rejects a bias of the wrong shape, int32 tensors and unknown activations ${on}`, () => {
    assertOpError(() => biasActivation(input(tensor([[1, 2, 3]], { device })), input(tensor([1, 2], { device }))), 'biasActivation', device, /bias must have shape \[C\]/);
    assertOpError(() => biasActivation(input(tensor([[1, 2]], { device })), input(tensor([[1, 2]], { device }))), 'biasActivation', device, /\[1,2\]/);
    assertOpError(() => biasActivation(input(tensor([[1, 2]], { device, dtype: 'int32' })), input(tensor([1, 2], { device }))), 'biasActivation', device);
    assertOpError(() => biasActivation(input(tensor([[1, 2]], { device })), input(tensor([1, 2], { device })), 'gelu' as 'relu'), 'biasActivation', device, /activation/);
  });
}

test.run();
