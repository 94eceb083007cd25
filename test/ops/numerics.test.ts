// The numeric rules of the README's "Numeric rules" section, pinned op by op on every
// device: NaN in gives NaN out, comparisons are IEEE, pow follows C (as PyTorch does),
// float → int32 truncates and saturates, int32 arithmetic wraps modulo 2³².
// The table of every op over the special values is special-values.test.ts.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../../src/autodiff/gradients.js';
import * as ops from '../../src/ops/index.js';
import { TensorLoopError } from '../../src/errors.js';
import { type Tensor, arange, full, tensor } from '../../src/tensor.js';
import { assertClose } from '../helpers/assert.js';
import { testDevices } from './support.js';

/** Exact equality that tells NaN (equal to itself) and the sign of zero apart. */
function assertSame(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));
  const same = actual.length === expected.length && expected.every((e, i) => Object.is(e, actual[i]));
  assert.ok(same, `${what}: got [${Array.from(actual, show)}], expected [${expected.map(show)}]`);
}

for (const device of await testDevices()) {
  const on = `[${device.name}]`;
  const t = (values: number[], dtype: 'float32' | 'int32' = 'float32'): Tensor => tensor(values, { device, dtype });

  test(`NaN in gives NaN out: relu, leakyRelu, tanh, sign and every other unary op ${on}`, async () => {
    const x = t([NaN, NaN, NaN, NaN]); // four: the vectorized kernel
    for (const name of ['neg', 'abs', 'sign', 'exp', 'log', 'sqrt', 'rsqrt', 'square', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'softplus', 'erf', 'gelu', 'sin', 'cos'] as const) {
      assertSame(await (ops[name] as (x: Tensor) => Tensor)(x).data(), [NaN, NaN, NaN, NaN], name);
    }
    assertSame(await ops.relu(t([NaN, -1, -0, 2, NaN])).data(), [NaN, 0, 0, 2, NaN], 'relu, scalar kernel');
    assertSame(await ops.sign(t([NaN, -3, -0, 0, 5])).data(), [NaN, -1, 0, 0, 1], 'sign keeps NaN; sign(-0) = +0');
  });

  test(`softplus keeps its relative precision far below 0, where it is log1p(e^x) ≈ e^x ${on}`, async () => {
    const x = [-80, -40, -20, -15, -10, -5, -1, -1e-3, 0, 1e-3, 1, 5, 20];
    const expected = x.map((v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(Math.fround(v)))));
    assertClose(await ops.softplus(t(x)).data(), expected, { atol: 0, rtol: 1e-6 }, 'softplus');
  });

  test(`maximum, minimum and clip propagate NaN from either side ${on}`, async () => {
    const a = t([NaN, 1, NaN, -Infinity]);
    const b = t([1, NaN, NaN, NaN]);
    assertSame(await ops.maximum(a, b).data(), [NaN, NaN, NaN, NaN], 'maximum');
    assertSame(await ops.minimum(a, b).data(), [NaN, NaN, NaN, NaN], 'minimum');
    assertSame(await ops.maximum(t([NaN, 2, 3]), 0).data(), [NaN, 2, 3], 'maximum with a number');
    assertSame(await ops.clip(t([NaN, -5, 0.5, 5, NaN]), -1, 1).data(), [NaN, -1, 0.5, 1, NaN], 'clip');
  });

  test(`comparisons are IEEE: NaN is unequal to everything, itself included ${on}`, async () => {
    const a = t([NaN, NaN, 1, -0]);
    const b = t([NaN, 1, NaN, 0]);
    assertSame(await ops.notEqual(a, a).data(), [1, 1, 0, 0], 'notEqual(x, x) is the NaN test');
    assertSame(await ops.notEqual(a, b).data(), [1, 1, 1, 0], 'notEqual');
    assertSame(await ops.equal(a, b).data(), [0, 0, 0, 1], 'equal (-0 == 0)');
    for (const name of ['greater', 'greaterEqual', 'less', 'lessEqual'] as const) {
      assertSame(await ops[name](a, b).data(), [0, 0, 0, name.endsWith('Equal') ? 1 : 0], name);
    }
    assertSame(await ops.greater(t([Infinity, -Infinity, 0]), t([3.4e38, -3.4e38, -0])).data(), [1, 0, 0], 'infinities and zeros');
  });

  test(`where treats a NaN condition as true and -0 as false ${on}`, async () => {
    assertSame(await ops.where(t([NaN, -0, 0, 2]), 1, 0).data(), [1, 0, 0, 1], 'where');
  });

  test(`pow follows C and PyTorch: 0^0 = 1, 0^-1 = Inf, NaN^0 = 1, 1^NaN = 1 ${on}`, async () => {
    const cases: [number, number, number][] = [
      [0, 0, 1], [-0, 0, 1], [NaN, 0, 1], [NaN, -0, 1], [Infinity, 0, 1], [1, NaN, 1], [1, Infinity, 1], [-1, Infinity, 1], [-1, -Infinity, 1],
      [0, -1, Infinity], [-0, -1, -Infinity], [-0, -2, Infinity], [0, -0.5, Infinity], [-0, 3, -0], [-0, 2, 0], [0, 0.5, 0],
      [2, NaN, NaN], [NaN, 1, NaN], [0.5, Infinity, 0], [0.5, -Infinity, Infinity], [2, Infinity, Infinity], [2, -Infinity, 0],
      [Infinity, -1, 0], [Infinity, 0.5, Infinity], [-Infinity, 3, -Infinity], [-Infinity, 2, Infinity], [-Infinity, -3, -0], [-Infinity, -2, 0],
      [-2, 3, -8], [-2, 2, 4], [-2, -1, -0.5], [-2, 0.5, NaN], [-8, 1 / 3, NaN], [3.4028234663852886e38, 1, 3.4028234663852886e38], [2, 10, 1024], [4, 0.5, 2],
    ];
    const y = await ops.pow(t(cases.map((c) => c[0])), t(cases.map((c) => c[1]))).data();
    cases.forEach(([a, b, expected], i) => assertSame([y[i]!], [expected], `pow(${a}, ${b})`));
  });

  test(`pow gradients: d/dx x^1 at 0 is 1, d/da a^0 at 0 is 0, d/db 0^b is 0 for b >= 0 ${on}`, async () => {
    const dx = grad((x: Tensor) => ops.sum(ops.pow(x, 1)))(t([0, -0, 2]))[0]!;
    assertSame(await dx.data(), [1, 1, 1], 'd/dx x^1');
    const da = grad((a: Tensor) => ops.sum(ops.pow(a, 0)))(t([0, 2, -3]))[0]!;
    assertSame(await da.data(), [0, 0, 0], 'd/da a^0');
    const [ga, gb] = grad((a: Tensor, b: Tensor) => ops.sum(ops.pow(a, b)))(t([0, 0, 0, 2, -2]), t([0, 1, 2, 3, 3]));
    assertSame(await ga!.data(), [0, 1, 0, 12, 12], 'd/da a^b');
    // d/db = a^b log a: 0 where a = 0 and b >= 0; NaN for a negative base (log of it), as PyTorch
    assertClose(await gb!.data(), [0, 0, 0, 8 * Math.log(2), NaN], { rtol: 1e-6 }, 'd/db a^b');
  });

  test(`float -> int32: truncate toward zero, saturate at the int32 limits, NaN -> 0 ${on}`, async () => {
    const x = t([3e9, -3e9, NaN, Infinity, -Infinity, 2147483520, -2147483648, 2.9, -2.9, -0.5, 3.4e38, 1e-40]);
    const i = ops.cast(x, 'int32');
    assert.is(i.dtype, 'int32');
    assertSame(await i.data(), [2147483647, -2147483648, 0, 2147483647, -2147483648, 2147483520, -2147483648, 2, -2, 0, 2147483647, 0], 'cast');
  });

  test(`int32 add, sub, mul, square, neg, abs wrap modulo 2^32 ${on}`, async () => {
    const max = 2147483647;
    const min = -2147483648;
    const a = t([max, min, max, 65536], 'int32');
    const b = t([1, -1, max, 65536], 'int32');
    assertSame(await ops.add(a, b).data(), [min, max, -2, 131072], 'add');
    assertSame(await ops.sub(a, b).data(), [max - 1, min + 1, 0, 0], 'sub');
    assertSame(await ops.mul(a, b).data(), [max, min, 1, 0], 'mul');
    assertSame(await ops.square(a).data(), [1, 0, 1, 0], 'square');
    assertSame(await ops.neg(t([min, max, 0], 'int32')).data(), [min, -max, 0], 'neg');
    assertSame(await ops.abs(t([min, -5, 0], 'int32')).data(), [min, 5, 0], 'abs');
  });

  test(`full and arange refuse int32 values an int32 cannot hold, as tensor does ${on}`, async () => {
    const int32 = { device, dtype: 'int32' as const };
    for (const [make, pattern] of [
      [() => full([2], 3e9, int32), /full: int32 value expected, got 3000000000/],
      [() => full([2], 1.5, int32), /full: int32 value expected, got 1.5/],
      [() => full([2], NaN, int32), /full: int32 value expected, got NaN/],
      [() => arange(2147483640, 2147483650, 1, int32), /arange: int32 last value expected, got 2147483649/],
      [() => arange(0.5, 3, 1, int32), /arange: int32 start expected/],
      [() => arange(0, 3, 0.5, int32), /arange: int32 step expected/],
    ] as const) {
      assert.throws(make, (e: Error) => e instanceof TensorLoopError && pattern.test(e.message), String(pattern));
    }
    assertSame(await full([2], -2147483648, int32).data(), [-2147483648, -2147483648], 'full at the limit');
    assertSame(await arange(2147483645, 2147483648, 1, int32).data(), [2147483645, 2147483646, 2147483647], 'arange up to the limit');
    assertSame(await full([1], 3e9, { device }).data(), [3e9], 'float32 holds it');
  });

  test(`int32 pow: repeated products that wrap; a negative exponent gives 0 except for ±1 (as PyTorch) ${on}`, async () => {
    const a = t([2, 3, 2, -2, 1, -1, -1, 5, 0, 7], 'int32');
    const b = t([10, 20, 31, 31, -3, -3, -2, -1, 0, 0], 'int32');
    assertSame(await ops.pow(a, b).data(), [1024, -808182895, -2147483648, -2147483648, 1, -1, 1, 0, 1, 1], 'pow');
  });
}

test.run();
