// Elementwise ops: unary maps, binary maps with NumPy broadcasting, comparisons, where,
// cast and clip — forward on hand-checked values, gradients against finite differences.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../../src/autodiff/gradients.js';
import * as ops from '../../src/ops/index.js';
import { type Tensor, scalar, tensor, zeros } from '../../src/tensor.js';
import { assertClose, assertTensorClose, checkGradient } from '../helpers/assert.js';
import { awayFromZero, normal, testDevices, uniform } from './support.js';

const { add, sub, mul, div, pow, maximum, minimum, where, cast, clip, sum } = ops;

/** A scalar loss that weights each output differently, so every gradient entry is tested. */
const weighted = (y: Tensor, seed = 99): Tensor => sum(mul(y, normal(y.shape, y.device, seed)));

for (const device of await testDevices()) {
  const on = `[${device.name}]`;
  const t = (values: Parameters<typeof tensor>[0], dtype: 'float32' | 'int32' = 'float32'): Tensor => tensor(values, { device, dtype });

  // ------------------------------------------------------------ unary forward

  test(`unary ops match hand-computed values ${on}`, async () => {
    const x = t([-2, -0.5, 0, 1, 3]);
    const cases: [string, Tensor, number[]][] = [
      ['neg', ops.neg(x), [2, 0.5, -0, -1, -3]],
      ['abs', ops.abs(x), [2, 0.5, 0, 1, 3]],
      ['sign', ops.sign(x), [-1, -1, 0, 1, 1]],
      ['square', ops.square(x), [4, 0.25, 0, 1, 9]],
      ['relu', ops.relu(x), [0, 0, 0, 1, 3]],
      ['leakyRelu', ops.leakyRelu(x, 0.1), [-0.2, -0.05, 0, 1, 3]],
      ['exp', ops.exp(x), [Math.exp(-2), Math.exp(-0.5), 1, Math.E, Math.exp(3)]],
      ['sigmoid', ops.sigmoid(x), [0.11920292, 0.37754067, 0.5, 0.73105858, 0.95257413]],
      ['tanh', ops.tanh(x), [-0.96402758, -0.46211716, 0, 0.76159416, 0.99505475]],
      ['softplus', ops.softplus(x), [0.12692801, 0.47407698, Math.LN2, 1.31326169, 3.04858735]],
      // gelu(x) = x Φ(x): Φ(-2) = 0.0227501, Φ(-0.5) = 0.3085375, Φ(1) = 0.8413447, Φ(3) = 0.9986501
      ['gelu', ops.gelu(x), [-0.04550026, -0.15426877, 0, 0.84134475, 2.99595031]],
      ['erf', ops.erf(x), [-0.99532227, -0.52049988, 0, 0.84270079, 0.99997791]],
      ['sin', ops.sin(x), [-0.90929743, -0.47942554, 0, 0.84147098, 0.14112001]],
      ['cos', ops.cos(x), [-0.41614684, 0.87758256, 1, 0.54030231, -0.9899925]],
    ];
    for (const [name, y, expected] of cases) {
      assert.equal([...y.shape], [5], `${name} shape`);
      assertClose(await y.data(), expected, { atol: 2e-6, rtol: 1e-5 }, name);
    }
  });

  test(`log, sqrt, rsqrt on positive inputs ${on}`, async () => {
    const x = t([0.25, 1, 4, Math.E]);
    assertClose(await ops.log(x).data(), [Math.log(0.25), 0, Math.log(4), 1], { atol: 1e-6 }, 'log');
    assertClose(await ops.sqrt(x).data(), [0.5, 1, 2, Math.sqrt(Math.E)], { atol: 1e-6 }, 'sqrt');
    assertClose(await ops.rsqrt(x).data(), [2, 1, 0.5, 1 / Math.sqrt(Math.E)], { atol: 1e-6 }, 'rsqrt');
    assertClose(await ops.log(t([0, -1])).data(), [-Infinity, NaN], {}, 'log at 0 and below');
  });

  test(`softplus and sigmoid stay finite for large |x| ${on}`, async () => {
    const x = t([-100, 100]);
    assertClose(await ops.softplus(x).data(), [0, 100], { atol: 1e-6 }, 'softplus');
    assertClose(await ops.sigmoid(x).data(), [0, 1], { atol: 1e-6 }, 'sigmoid');
    assertClose(await ops.tanh(x).data(), [-1, 1], { atol: 1e-6 }, 'tanh');
  });

  test(`unary ops keep scalar, size-1 and empty shapes ${on}`, async () => {
    const s = ops.exp(scalar(0, { device }));
    assert.equal([...s.shape], []);
    assert.is(await s.item(), 1);
    assert.equal([...ops.relu(t([[[-1]]])).shape], [1, 1, 1]);
    const empty = ops.tanh(zeros([0, 3], { device }));
    assert.equal([...empty.shape], [0, 3]);
    assert.is((await empty.data()).length, 0);
  });

  test(`int32: neg/abs/square/relu stay int32, exp computes in float32 ${on}`, async () => {
    const i = t([-2, 3], 'int32');
    for (const y of [ops.neg(i), ops.abs(i), ops.square(i), ops.relu(i)]) assert.is(y.dtype, 'int32');
    assert.equal(await ops.square(i).array(), [4, 9]);
    const e = ops.exp(i);
    assert.is(e.dtype, 'float32');
    assertClose(await e.data(), [Math.exp(-2), Math.exp(3)], { rtol: 1e-6 });
  });

  // ------------------------------------------------------------ binary forward

  test(`binary ops on equal shapes ${on}`, async () => {
    const a = t([1, -2, 3, 4]);
    const b = t([2, 5, -1, 0.5]);
    assert.equal(await add(a, b).array(), [3, 3, 2, 4.5]);
    assert.equal(await sub(a, b).array(), [-1, -7, 4, 3.5]);
    assert.equal(await mul(a, b).array(), [2, -10, -3, 2]);
    assertClose(await div(a, b).data(), [0.5, -0.4, -3, 8]);
    assert.equal(await maximum(a, b).array(), [2, 5, 3, 4]);
    assert.equal(await minimum(a, b).array(), [1, -2, -1, 0.5]);
    assertClose(await pow(t([2, 9, 4]), t([3, 0.5, -1])).data(), [8, 3, 0.25]);
  });

  test(`pow of a negative base with an integer exponent keeps its sign ${on}`, async () => {
    assertClose(await pow(t([-2, -2, -3]), t([3, 2, 0])).data(), [-8, 4, 1]);
  });

  test(`broadcasting: row, column, scalar, number, leading dims ${on}`, async () => {
    const m = t([[1, 2, 3], [4, 5, 6]]);
    assert.equal(await add(m, t([10, 20, 30])).array(), [[11, 22, 33], [14, 25, 36]], 'row');
    assert.equal(await add(m, t([[100], [200]])).array(), [[101, 102, 103], [204, 205, 206]], 'column');
    assert.equal(await mul(m, scalar(2, { device })).array(), [[2, 4, 6], [8, 10, 12]], 'scalar tensor');
    assert.equal(await sub(10, m).array(), [[9, 8, 7], [6, 5, 4]], 'number on the left');
    assert.equal(await div(m, 2).array(), [[0.5, 1, 1.5], [2, 2.5, 3]], 'number on the right');
    const outer = mul(t([[1], [2]]), t([[1, 10, 100]]));
    assert.equal([...outer.shape], [2, 3]);
    assert.equal(await outer.array(), [[1, 10, 100], [2, 20, 200]], '[2,1] x [1,3]');
    const lead = add(t([[[1, 2]]]), t([[10, 20], [30, 40], [50, 60]]));
    assert.equal([...lead.shape], [1, 3, 2]);
    assert.equal(await lead.array(), [[[11, 22], [31, 42], [51, 62]]], '[1,1,2] + [3,2]');
  });

  test(`broadcasting with scalars and empty tensors ${on}`, async () => {
    const s = add(scalar(1, { device }), scalar(2, { device }));
    assert.equal([...s.shape], []);
    assert.is(await s.item(), 3);
    const empty = add(zeros([0, 3], { device }), t([1, 2, 3]));
    assert.equal([...empty.shape], [0, 3]);
    assert.is(empty.size, 0);
    assert.equal([...mul(zeros([2, 0], { device }), t([[1], [2]])).shape], [2, 0]);
  });

  test(`dtypes: int32 op int32 stays int32, mixing promotes, div is true division ${on}`, async () => {
    const i = t([7, -7], 'int32');
    const j = t([2, 2], 'int32');
    const s = add(i, j);
    assert.is(s.dtype, 'int32');
    assert.equal(await s.array(), [9, -5]);
    assert.is(mul(i, j).dtype, 'int32');
    assert.equal(await mul(i, j).array(), [14, -14]);
    assert.is(add(i, 1).dtype, 'int32', 'an integer number keeps int32');
    const q = div(i, j);
    assert.is(q.dtype, 'float32');
    assert.equal(await q.array(), [3.5, -3.5]);
    const mixed = add(i, t([0.5, 0.5]));
    assert.is(mixed.dtype, 'float32');
    assert.equal(await mixed.array(), [7.5, -6.5]);
    assert.is(add(i, 0.5).dtype, 'float32', 'a fractional number promotes');
  });

  test(`comparisons give float32 0/1 and broadcast ${on}`, async () => {
    const a = t([1, 2, 3]);
    const b = t([[2], [3]]);
    const expect = {
      equal: [[0, 1, 0], [0, 0, 1]],
      notEqual: [[1, 0, 1], [1, 1, 0]],
      greater: [[0, 0, 1], [0, 0, 0]],
      greaterEqual: [[0, 1, 1], [0, 0, 1]],
      less: [[1, 0, 0], [1, 1, 0]],
      lessEqual: [[1, 1, 0], [1, 1, 1]],
    };
    for (const [name, expected] of Object.entries(expect)) {
      const y = (ops as unknown as Record<string, (a: Tensor, b: Tensor) => Tensor>)[name]!(a, b);
      assert.is(y.dtype, 'float32', name);
      assert.equal(await y.array(), expected, name);
    }
    assert.is(ops.equal(t([1, 2], 'int32'), t([1, 3], 'int32')).dtype, 'float32', 'int32 comparison gives float32');
  });

  test(`where picks by condition and broadcasts all three ${on}`, async () => {
    const cond = t([[1], [0]]);
    assert.equal(await where(cond, t([1, 2, 3]), t([-1, -2, -3])).array(), [[1, 2, 3], [-1, -2, -3]]);
    assert.equal(await where(t([0, 2, -1]), 7, t([0, 0, 0])).array(), [0, 7, 7], 'any nonzero is true');
    const ints = where(t([1, 0]), t([5, 6], 'int32'), 0);
    assert.is(ints.dtype, 'int32');
    assert.equal(await ints.array(), [5, 0]);
    assert.equal(await where(t([1, 0]), 1, 2.5).array(), [1, 2.5], 'two numbers');
  });

  test(`cast truncates toward zero and round-trips integers ${on}`, async () => {
    const i = cast(t([1.7, -1.7, 2.5, -0.2]), 'int32');
    assert.is(i.dtype, 'int32');
    assert.equal(await i.array(), [1, -1, 2, 0]);
    const f = cast(t([3, -4], 'int32'), 'float32');
    assert.is(f.dtype, 'float32');
    assert.equal(await f.array(), [3, -4]);
    const same = t([1]);
    assert.is(cast(same, 'float32'), same, 'casting to the same dtype is the identity');
  });

  test(`clip limits to [min, max] ${on}`, async () => {
    assert.equal(await clip(t([-3, -1, 0, 2, 5]), -1, 2).array(), [-1, -1, 0, 2, 2]);
  });

  // ------------------------------------------------------------ gradients

  test(`gradients of smooth unary ops match finite differences ${on}`, async () => {
    const x = normal([2, 3], device, 11);
    for (const name of ['neg', 'exp', 'square', 'sigmoid', 'tanh', 'softplus', 'gelu', 'erf', 'sin', 'cos'] as const) {
      const op = ops[name] as (x: Tensor) => Tensor;
      await checkGradient((x) => weighted(op(x)), [x]).catch((e: Error) => assert.unreachable(`${name}: ${e.message}`));
    }
  });

  test(`gradients of log, sqrt, rsqrt on positive inputs ${on}`, async () => {
    const x = uniform([2, 3], device, 0.5, 3, 12);
    for (const name of ['log', 'sqrt', 'rsqrt'] as const) {
      await checkGradient((x) => weighted(ops[name](x)), [x]).catch((e: Error) => assert.unreachable(`${name}: ${e.message}`));
    }
  });

  test(`gradients of abs, relu, leakyRelu away from the kink ${on}`, async () => {
    const x = awayFromZero([2, 4], device, 13);
    await checkGradient((x) => weighted(ops.abs(x)), [x]);
    await checkGradient((x) => weighted(ops.relu(x)), [x]);
    await checkGradient((x) => weighted(ops.leakyRelu(x, 0.1)), [x]);
  });

  test(`gradients of add, sub, mul, div reduce broadcast axes ${on}`, async () => {
    const pairs: [number[], number[]][] = [
      [[2, 3], [2, 3]],
      [[2, 3], [3]],
      [[2, 1], [1, 3]],
      [[4], []],
      [[1, 2, 3], [3, 1, 1]],
    ];
    for (const [sa, sb] of pairs) {
      const a = normal(sa, device, 21);
      const b = add(uniform(sb, device, 0.5, 2, 22), 0); // keep div away from 0
      for (const op of [add, sub, mul, div]) {
        await checkGradient((a, b) => weighted(op(a, b)), [a, b]).catch((e: Error) =>
          assert.unreachable(`${op.name} ${JSON.stringify(sa)} with ${JSON.stringify(sb)}: ${e.message}`));
      }
    }
  });

  test(`gradients of pow in base and exponent ${on}`, async () => {
    const a = uniform([2, 3], device, 0.5, 2, 31);
    const b = normal([3], device, 32);
    await checkGradient((a, b) => weighted(pow(a, b)), [a, b]);
  });

  test(`gradients of maximum and minimum go to the larger/smaller input ${on}`, async () => {
    const a = tensor([[0.5, -1, 2], [1.5, 0.2, -3]], { device });
    const b = tensor([0, 1, 1], { device });
    await checkGradient((a, b) => weighted(maximum(a, b)), [a, b]);
    await checkGradient((a, b) => weighted(minimum(a, b)), [a, b]);
    const [ga, gb] = grad((a, b) => sum(maximum(a, b)))(t([1, 5]), t([3, 2]));
    assert.equal(await ga!.array(), [0, 1]);
    assert.equal(await gb!.array(), [1, 0]);
  });

  test(`gradient of where flows to the picked branch ${on}`, async () => {
    const cond = t([[1, 0, 1], [0, 0, 1]]);
    const a = normal([2, 3], device, 41);
    const b = normal([3], device, 42);
    await checkGradient((a, b) => weighted(where(cond, a, b)), [a, b]);
    const [ga, gb] = grad((a, b) => sum(where(cond, a, b)))(a, b);
    assert.equal(await ga!.array(), [[1, 0, 1], [0, 0, 1]]);
    assert.equal(await gb!.array(), [1, 2, 0]);
  });

  test(`gradient of clip passes inside the interval only ${on}`, async () => {
    const [g] = grad((x) => sum(clip(x, -1, 1)))(t([-2, -0.5, 0.5, 3]));
    assert.equal(await g!.array(), [0, 1, 1, 0]);
  });

  test(`comparisons and sign carry no gradient ${on}`, async () => {
    const [g] = grad((x) => sum(add(ops.greater(x, 0), ops.sign(x))))(t([-1, 2]));
    assert.equal(await g!.array(), [0, 0]);
  });
}

test.run();
