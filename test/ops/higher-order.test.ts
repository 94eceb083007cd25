// Higher-order gradients: a gradient taken inside the function of another is itself
// differentiated (the backward pass is recorded on the outer tape). Checked against
// finite differences of a gradient, as Hessian-vector products, and to third order, on
// every device; what cannot be differentiated twice says so instead of giving 0.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, valueAndGrad } from '../../src/autodiff/gradients.js';
import { noGrad } from '../../src/autodiff/tape.js';
import { TensorLoopError } from '../../src/errors.js';
import { sigmoidCrossEntropy, softmaxCrossEntropy } from '../../src/losses/index.js';
import {
  add,
  avgPool2d,
  conv2d,
  div,
  erf,
  exp,
  gather,
  gelu,
  log,
  logSoftmax,
  matmul,
  max,
  maxPool2d,
  mean,
  mul,
  pow,
  sigmoid,
  sin,
  softplus,
  sqrt,
  square,
  sub,
  sum,
  tanh,
} from '../../src/ops/index.js';
import { type Tensor, fromData, liveTensorCount, scalar, tensor } from '../../src/tensor.js';
import { assertClose, checkGradient } from '../helpers/assert.js';
import { normal, testDevices, uniform } from './support.js';

/** Σ ∇f(x) · v: its gradient with respect to x is the Hessian-vector product H v. */
const directional = (f: (x: Tensor) => Tensor, v: Tensor) => (x: Tensor): Tensor => sum(mul(grad(f)(x)[0]!, v));

/** H v by differentiating the gradient. */
const hessianVector = (f: (x: Tensor) => Tensor, x: Tensor, v: Tensor): Tensor => grad(directional(f, v))(x)[0]!;

for (const device of await testDevices()) {
  const on = `[${device.name}]`;

  test(`the issue's example: d/dx of d/dy Σy³ at 2 is 12, not 0 ${on}`, async () => {
    const x = scalar(2, { device });
    const [g] = grad((x) => sum(grad((y) => sum(pow(y, 3)))(x)[0]!))(x);
    assert.is(await g!.item(), 12);
  });

  test(`third order: d³/dx³ Σx⁴ = 24x ${on}`, async () => {
    const x = tensor([0.5, -1.5, 2], { device });
    const first = (t: Tensor) => grad((y) => sum(mul(square(y), square(y))))(t)[0]!;
    const second = (t: Tensor) => grad((y) => sum(first(y)))(t)[0]!;
    const [third] = grad((y) => sum(second(y)))(x);
    assertClose(await third!.data(), [12, -36, 48]);
  });

  // each f: x → scalar; its Hessian-vector product is checked against the finite
  // differences of Σ ∇f · v (a gradient computed by the engine, perturbed element by element)
  const CASES: [string, (x: Tensor) => Tensor, () => Tensor][] = [
    ['tanh, sigmoid, exp, sin', (x) => sum(mul(tanh(x), add(sigmoid(x), mul(exp(mul(x, 0.3)), sin(x))))), () => normal([2, 3], device, 3)],
    ['log, sqrt, div, pow', (x) => sum(add(mul(log(x), sqrt(x)), div(pow(x, 2.5), add(x, 1)))), () => uniform([5], device, 0.5, 2, 4)],
    ['gelu, softplus, erf', (x) => sum(mul(gelu(x), add(softplus(x), erf(x)))), () => normal([4], device, 5)],
    ['matmul and logSoftmax', (x) => sum(mul(logSoftmax(matmul(x, x, { transposeB: true })), 0.5)), () => normal([3, 4], device, 6)],
    ['mean and variance (a layer norm)', (x) => {
      const centred = sub(x, mean(x, 1, { keepDims: true }));
      return sum(mul(div(centred, sqrt(add(mean(square(centred), 1, { keepDims: true }), 1e-3))), normal([2, 5], device, 8)));
    }, () => normal([2, 5], device, 7)],
    ['max reduction', (x) => sum(square(max(x, 1))), () => normal([3, 4], device, 9)],
    ['gather (and its gradient, scatterAdd)', (x) => sum(square(gather(tanh(x), tensor([1, 0, 1, 2], { dtype: 'int32', device })))), () => normal([3, 2], device, 10)],
    ['softmaxCrossEntropy with class labels', (x) => softmaxCrossEntropy(x, tensor([0, 2, 1], { dtype: 'int32', device })), () => normal([3, 4], device, 11)],
    ['softmaxCrossEntropy with probabilities and label smoothing', (x) =>
      softmaxCrossEntropy(x, tensor([[0.2, 0.8, 0, 0], [0, 0, 0.5, 0.5]], { device }), { labelSmoothing: 0.1 }), () => normal([2, 4], device, 12)],
    ['sigmoidCrossEntropy', (x) => sigmoidCrossEntropy(x, tensor([[0, 1, 1], [1, 0, 0]], { device })), () => normal([2, 3], device, 13)],
    ['conv2d of the input with itself as the filter', (x) => sum(square(conv2d(x, tanh(x), { padding: 'same' }))), () => normal([3, 3, 1, 1], device, 14)],
    ['avgPool2d after a square', (x) => sum(square(avgPool2d(square(x), { windowSize: 2, strides: 1 }))), () => normal([1, 3, 3, 2], device, 15)],
  ];
  for (const [name, f, input] of CASES) {
    test(`Hessian-vector product of ${name} matches finite differences of the gradient ${on}`, async () => {
      const x = input();
      const v = normal(x.shape, device, 99);
      await checkGradient(directional(f, v), [x], { h: 1e-2, atol: 3e-3, rtol: 3e-2 });
    });
  }

  test(`conv2d: second derivatives in the input and the filter, strided and padded ${on}`, async () => {
    const x = normal([1, 5, 4, 2], device, 16);
    const w = normal([3, 2, 2, 3], device, 17);
    const v = normal([3, 2, 2, 3], device, 18);
    // mixed: d/dx of (∇_w f · v), and pure: d/dw of (∇_w f · v)
    const f = (x: Tensor, w: Tensor): Tensor => sum(square(conv2d(x, w, { strides: 2, padding: 1 })));
    const mixed = (x: Tensor, w: Tensor): Tensor => sum(mul(grad((w2) => f(x, w2))(w)[0]!, v));
    await checkGradient(mixed, [x, w], { h: 1e-2, atol: 5e-3, rtol: 3e-2 });
  });

  test(`H v equals the central difference of two gradients (∇f(x+εv) − ∇f(x−εv)) / 2ε ${on}`, async () => {
    const f = (x: Tensor): Tensor => sum(mul(tanh(matmul(x, x)), x));
    const xs = await normal([3, 3], device, 20).data();
    const vs = await normal([3, 3], device, 21).data();
    const x = fromData(xs, [3, 3], device);
    const v = fromData(vs, [3, 3], device);
    const hv = await hessianVector(f, x, v).data();
    const eps = 1e-2;
    const shifted = (s: number) => fromData(Float32Array.from(xs, (a, i) => a + s * eps * vs[i]!), [3, 3], device);
    const plus = await grad(f)(shifted(1))[0]!.data();
    const minus = await grad(f)(shifted(-1))[0]!.data();
    assertClose(hv, Array.from(plus, (p, i) => (p - minus[i]!) / (2 * eps)), { atol: 3e-3, rtol: 3e-2 });
  });

  test(`valueAndGrad nests too, and leaves only its results alive ${on}`, async () => {
    const x = normal([4], device, 22);
    const before = liveTensorCount(device);
    const [value, [g]] = valueAndGrad((x) => {
      const [inner, [dx]] = valueAndGrad((y) => sum(mul(exp(y), y)))(x);
      return add(inner, sum(dx!));
    })(x);
    assert.is(liveTensorCount(device) - before, 2, 'the value and the gradient');
    // f = Σ y e^y + Σ (1 + y) e^y → f' = (1 + y) e^y + (2 + y) e^y
    const values = await x.data();
    assertClose(await g!.data(), Array.from(values, (y) => (3 + 2 * y) * Math.exp(y)), { rtol: 1e-4 });
    value.dispose();
    g!.dispose();
  });

  test(`a gradient taken inside noGrad still works; the outer one sees a constant ${on}`, async () => {
    const x = scalar(3, { device });
    const [inside] = noGrad(() => grad((y) => mul(y, y))(x));
    assert.is(await inside!.item(), 6);
    const [outer] = grad((y) => add(noGrad(() => mul(y, y)), y))(x);
    assert.is(await outer!.item(), 1);
  });

  test(`max pooling twice: a TensorLoopError naming maxPool2d, not a silent 0 ${on}`, () => {
    const x = normal([1, 4, 4, 1], device, 23);
    const v = normal([1, 4, 4, 1], device, 24);
    assert.throws(
      () => hessianVector((t) => sum(square(maxPool2d(t, { windowSize: 2 }))), x, v),
      (error: unknown) => error instanceof TensorLoopError && /^maxPool2d: second-order/.test(error.message),
    );
  });
}

test.run();
