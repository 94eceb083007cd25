// Reverse-mode autodiff: fan-out accumulation, broadcast gradients summed back to the
// input's shape, branches that need no gradient skipped, int32 never differentiated,
// noGrad, and the three public forms grad / valueAndGrad / valueWithGradient.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, valueAndGrad, valueWithGradient } from '../../src/autodiff/gradients.js';
import { Tape, noGrad, popTape, pushTape, record } from '../../src/autodiff/tape.js';
import { backward } from '../../src/autodiff/backward.js';
import { Module } from '../../src/nn/module.js';
import { add, cast, exp, gather, matmul, mul, sub, sum, tanh } from '../../src/ops/index.js';
import { type Tensor, liveTensorCount, ones, scalar, tensor } from '../../src/tensor.js';
import { assertClose, checkGradient } from '../helpers/assert.js';
import { normal, testDevices } from './support.js';

for (const device of await testDevices()) {
  const on = `[${device.name}]`;
  const t = (values: Parameters<typeof tensor>[0], dtype: 'float32' | 'int32' = 'float32'): Tensor => tensor(values, { device, dtype });

  test(`fan-out: a tensor used several times gets the sum of its gradients ${on}`, async () => {
    // f = Σ (x·x + x + e^x)  →  df/dx = 2x + 1 + e^x
    const x = t([0.5, -1, 2]);
    const [g] = grad((x) => sum(add(add(mul(x, x), x), exp(x))))(x);
    assertClose(await g!.data(), [0.5, -1, 2].map((v) => 2 * v + 1 + Math.exp(v)));
    // a diamond: y = tanh(x) feeds two branches that meet again
    await checkGradient((x) => {
      const y = tanh(x);
      return sum(mul(add(y, 1), sub(y, x)));
    }, [normal([4], device, 5)]);
  });

  test(`broadcast gradients are summed back to each input's shape ${on}`, async () => {
    const a = t([[1, 2, 3], [4, 5, 6]]);
    const b = t([10, 20, 30]);
    const c = scalar(2, { device });
    const [ga, gb, gc] = grad((a, b, c) => sum(mul(mul(a, b), c)))(a, b, c);
    assert.equal([...gb!.shape], [3]);
    assert.equal(await gb!.array(), [10, 14, 18], 'Σ over rows of a·c');
    assert.equal(await ga!.array(), [[20, 40, 60], [20, 40, 60]]);
    assert.equal([...gc!.shape], []);
    assert.is(await gc!.item(), 10 * 1 + 20 * 2 + 30 * 3 + 10 * 4 + 20 * 5 + 30 * 6);
    const col = t([[1], [2]]);
    const [gcol] = grad((col) => sum(add(col, a)))(col);
    assert.equal(await gcol!.array(), [[3], [3]], '[2,1] against [2,3]');
  });

  test(`an input the function ignores gets a zero gradient of its shape ${on}`, async () => {
    const [gx, gy] = grad((x, _y) => sum(mul(x, 3)))(t([1, 2]), t([[1, 2, 3]]));
    assert.equal(await gx!.array(), [3, 3]);
    assert.equal([...gy!.shape], [1, 3]);
    assert.equal(await gy!.array(), [[0, 0, 0]]);
  });

  test(`ops on tensors the tape does not watch are not recorded ${on}`, () => {
    const x = t([1, 2]);
    const constant = t([3, 4]);
    const tape = new Tape();
    tape.watch(x);
    pushTape(tape);
    try {
      exp(mul(constant, constant)); // no watched input: nothing recorded
      assert.is(tape.entries.length, 0);
      mul(x, constant);
      assert.equal(tape.entries.map((e) => e.op), ['mul']);
    } finally {
      popTape(tape);
    }
  });

  test(`an op that throws records nothing on the tape ${on}`, () => {
    const x = t([1, 2]);
    const tape = new Tape();
    tape.watch(x);
    pushTape(tape);
    try {
      // (an out-of-range gather throws at once only on the CPU; WebGPU reports it at the next read)
      const outOfRange = device.kind === 'cpu' ? [() => gather(x, t([5], 'int32'))] : [];
      for (const bad of [() => add(x, t([1, 2, 3])), () => matmul(x, x), ...outOfRange, () => sum(x, 3)]) {
        assert.throws(bad);
      }
      assert.is(tape.entries.length, 0);
      assert.is(tape.tracked.size, 1, 'only the watched input');
    } finally {
      popTape(tape);
    }
  });

  test(`backward asks a rule only for the inputs that need a gradient ${on}`, () => {
    const x = t([1, 2]);
    const constant = t([3, 4]);
    const y = mul(x, 1); // a fresh output to hang a custom entry on
    const tape = new Tape();
    tape.watch(x);
    let asked: readonly boolean[] = [];
    pushTape(tape);
    try {
      record('probe', [x, constant], y, (dy, needs) => {
        asked = needs;
        return [dy, needs[1] ? dy : null];
      });
    } finally {
      popTape(tape);
    }
    const grads = backward(tape, y, ones([2], { device }));
    assert.equal([...asked], [true, false]);
    assert.ok(grads.has(x));
    assert.not.ok(grads.has(constant));
  });

  test(`int32 tensors are never differentiated ${on}`, async () => {
    const x = t([1.5, -2.5]);
    const tape = new Tape();
    tape.watch(x);
    pushTape(tape);
    try {
      const i = cast(x, 'int32');
      add(i, i);
      assert.is(tape.entries.length, 0, 'int32 results are not recorded');
    } finally {
      popTape(tape);
    }
    // through a cast to int32 the gradient is 0, not an error
    const [g] = grad((x) => sum(add(cast(cast(x, 'int32'), 'float32'), mul(x, 2))))(x);
    assert.equal(await g!.array(), [2, 2]);
    // gather's int32 indices take no gradient; the table does
    const table = t([[1, 2], [3, 4], [5, 6]]);
    const [gt] = grad((table) => sum(gather(table, t([2, 0, 2], 'int32'))))(table);
    assert.equal(await gt!.array(), [[1, 1], [0, 0], [2, 2]]);
  });

  test(`noGrad blocks the gradient through what it computes ${on}`, async () => {
    const x = t([1, 3]);
    const [g] = grad((x) => sum(add(mul(x, x), noGrad(() => mul(x, x)))))(x);
    assert.equal(await g!.array(), [2, 6], 'only the recorded x·x contributes 2x');
    const [h] = grad((x) => noGrad(() => sum(mul(x, x))))(x);
    assert.equal(await h!.array(), [0, 0]);
  });

  test(`valueAndGrad returns the value with the gradients ${on}`, async () => {
    const [value, [ga, gb]] = valueAndGrad((a, b) => sum(matmul(a, b)))(t([[1, 2]]), t([[3], [4]]));
    assert.is(await value.item(), 11);
    assert.equal(await ga!.array(), [[3, 4]]);
    assert.equal(await gb!.array(), [[1], [2]]);
    assert.is(await grad((x) => x)(scalar(5, { device }))[0]!.item(), 1, 'd x / d x = 1');
  });

  test(`gradient functions free their intermediates ${on}`, () => {
    const a = normal([3, 4], device, 1);
    const b = normal([4, 2], device, 2);
    const before = liveTensorCount(device);
    const [value, grads] = valueAndGrad((a, b) => sum(tanh(matmul(a, b))))(a, b);
    assert.is(liveTensorCount(device), before + 3, 'the value and two gradients');
    value.dispose();
    grads.forEach((g) => g.dispose());
    assert.is(liveTensorCount(device), before);
  });

  test(`valueWithGradient gives one gradient per parameter path ${on}`, async () => {
    class Affine extends Module {
      weight = t([[1, 2], [3, 4]]);
      bias = t([0.5, -0.5]);
      forward(x: Tensor): Tensor {
        return add(matmul(x, this.weight), this.bias);
      }
    }
    class Net extends Module {
      first = new Affine();
      layers = [new Affine()];
      forward(x: Tensor): Tensor {
        return this.layers[0]!.forward(this.first.forward(x));
      }
    }
    const net = new Net();
    const x = t([[1, 1]]);
    const [loss, grads] = valueWithGradient(net, (m) => sum(m.forward(x)));
    assert.equal([...grads.keys()], ['first.weight', 'first.bias', 'layers.0.weight', 'layers.0.bias']);
    // h = x·W + b = [4.5, 5.5]; y = h·W + b; Σy = h·(W·1) + Σb = 4.5·3 + 5.5·7 + 0
    assert.is(await loss.item(), 4.5 * 3 + 5.5 * 7);
    assert.equal(await grads.get('layers.0.weight')!.array(), [[4.5, 4.5], [5.5, 5.5]]);
    assert.equal(await grads.get('layers.0.bias')!.array(), [1, 1]);
    assert.equal(await grads.get('first.bias')!.array(), [3, 7], 'W·1');
    assert.equal(await grads.get('first.weight')!.array(), [[3, 7], [3, 7]]);
  });
}

test.run();
