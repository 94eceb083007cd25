// Every elementwise, reduction and pooling op on every device over the special values
// NaN, ±Inf, ±0, ±the largest normal, ±the smallest normal and ±a subnormal, compared with
// the expected values in special-values.json: IEEE/C float32 results, what PyTorch gives
// (scripts/special-values.py says how they were made). Where a device differs for a reason that
// is not a bug, the difference is declared below with the reason, not hidden.

import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ops from '../../src/ops/index.js';
import { type Tensor, tensor } from '../../src/tensor.js';
import { testDevices } from './support.js';

type Encoded = number | string;
const golden = JSON.parse(readFileSync(new URL('./special-values.json', import.meta.url), 'utf8'));
/** The public op of that name (the golden file names ops as src/ops exports them). */
const opNamed = (name: string) => (ops as unknown as Record<string, (...args: Tensor[]) => Tensor>)[name]!;
const decode = (v: Encoded): number => (v === '-0' ? -0 : Number(v));
const decodeAll = (vs: Encoded[]): number[] => vs.map(decode);

const SPECIALS = decodeAll(golden.specials);
const N = SPECIALS.length;
/** Ops computed with correct rounding (IEEE basic operations, comparisons, selections):
 * the result must be exact. The others may be off by a few units in the last place. */
const EXACT = new Set(['neg', 'abs', 'sign', 'sqrt', 'square', 'relu', 'leakyRelu', 'add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual', 'max', 'min', 'argmax', 'argmin', 'maxPool2d', 'avgPool2d', 'sum', 'mean']);
/** Relative tolerance of the others: 4 units in the last place of float32. */
const ULPS = 4 * 2 ** -23;
/** Ops whose zero results have no sign PyTorch specifies (it varies with the code path). */
const UNSIGNED_ZEROS = new Set(['relu', 'maximum', 'minimum', 'maxPool2d', 'max', 'min', 'sum', 'mean', 'logSumExp']);

/** A known, explained difference of one device from the expected value. */
interface Declared {
  device: 'cpu' | 'webgpu';
  op: string;
  /** which element (flat index into the op's expected values) */
  at: (index: number) => boolean;
  accept: (actual: number) => boolean;
  reason: string;
}

const isInRange = (lo: number, hi: number) => (v: number) => v >= lo && v <= hi;
const MAX_AT = [5, 6]; // ±the largest normal in SPECIALS
const DECLARED: Declared[] = [
  ...['sin', 'cos'].map((op) => ({
    device: 'webgpu' as const,
    op,
    at: (i: number) => MAX_AT.includes(i),
    accept: isInRange(-1, 1),
    reason: 'WGSL defines sin and cos accurately only on [-π, π]; outside, the value is the driver\'s (lavapipe gives ±1 for ±3.4e38)',
  })),
  ...['sum', 'mean'].map((op) => ({
    device: 'cpu' as const,
    op,
    at: (i: number) => JSON.stringify(golden.rows[i]) === JSON.stringify([3.4028234663852886e38, 3.4028234663852886e38, -3.4028234663852886e38]),
    accept: (v: number) => v === (op === 'sum' ? 3.4028234663852886e38 : Math.fround(3.4028234663852886e38 / 3)),
    reason: 'the CPU sums in float64, so a partial sum past the float32 range does not overflow (PyTorch and WebGPU sum in float32: Inf)',
  })),
];

/** WGSL lets a device flush subnormals to zero. On a device that does (probed once: is
 * 2^-140 + 0 zero?), a result is also accepted if it is the op's expected value with its
 * subnormal inputs read as zeros of the same sign (`flushed`), or a zero of the expected
 * subnormal's sign. lavapipe keeps subnormals, so nothing is accepted this way there. */
async function flushesSubnormals(device: Tensor['device']): Promise<boolean> {
  return (await ops.add(tensor([2 ** -140], { device }), 0).item()) === 0;
}
const SUBNORMAL_AS_ZERO = new Map([[9, 3], [10, 4]]); // ±2^-140 in SPECIALS → ±0
const flushIndex = (i: number): number => SUBNORMAL_AS_ZERO.get(i) ?? i;
const isSubnormal = (v: number): boolean => v !== 0 && Math.abs(v) < 2 ** -126;

interface Flushing {
  /** the expected value of element i with subnormal inputs read as ±0 */
  flushed: (i: number) => number;
}

function check(device: string, op: string, actual: ArrayLike<number>, expected: number[], describe: (i: number) => string, flushing?: Flushing): void {
  assert.is(actual.length, expected.length, `${op} length`);
  const problems: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (flushing && (Object.is(a, flushing.flushed(i)) || (isSubnormal(e) && a === 0 && Math.sign(1 / a) === Math.sign(e)))) continue;
    let ok: boolean;
    if (Number.isNaN(e) || Number.isNaN(a)) ok = Number.isNaN(e) && Number.isNaN(a);
    else if (e === 0 || !Number.isFinite(e)) ok = UNSIGNED_ZEROS.has(op) ? a === e : Object.is(a, e);
    else if (EXACT.has(op)) ok = a === e;
    // subnormal results are compared in units of the smallest subnormal, 2^-149
    else ok = Math.abs(a - e) <= Math.max(ULPS * Math.abs(e), 2 * 2 ** -149);
    if (!ok && DECLARED.some((d) => device.startsWith(d.device) && d.op === op && d.at(i) && d.accept(a))) ok = true;
    if (!ok) problems.push(`${op}(${describe(i)}) = ${show(a)}, expected ${show(e)}`);
  }
  assert.ok(problems.length === 0, `[${device}]\n  ${problems.join('\n  ')}`);
}

const show = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));
const pair = (i: number): string => `${show(SPECIALS[Math.floor(i / N)]!)}, ${show(SPECIALS[i % N]!)}`;

for (const device of await testDevices()) {
  const on = `[${device.name}]`;
  const flushes = await flushesSubnormals(device);
  if (flushes) console.log(`${device.name} flushes subnormals to zero: the special-values tables accept flushed results there`);
  const unaryFlushing = (expected: number[]): Flushing | undefined => (flushes ? { flushed: (i) => expected[flushIndex(i)]! } : undefined);
  const pairFlushing = (expected: number[]): Flushing | undefined =>
    flushes ? { flushed: (i) => expected[flushIndex(Math.floor(i / N)) * N + flushIndex(i % N)]! } : undefined;
  const t = (values: number[], shape?: number[], dtype: 'float32' | 'int32' = 'float32'): Tensor => tensor(values, { device, shape: shape ?? [values.length], dtype });

  test(`unary ops over the special values ${on}`, async () => {
    for (const [op, values] of Object.entries(golden.unary as Record<string, Encoded[]>)) {
      const f = opNamed(op);
      const expected = decodeAll(values);
      // 11 values take the one-element-per-invocation kernel, 12 the vec4 kernel
      check(device.name, op, await f(t(SPECIALS)).data(), expected, (i) => show(SPECIALS[i]!), unaryFlushing(expected));
      check(device.name, op, (await f(t([...SPECIALS, 1])).data()).subarray(0, N), expected, (i) => `${show(SPECIALS[i]!)}, vec4`, unaryFlushing(expected));
    }
  });

  test(`binary ops over every pair of special values ${on}`, async () => {
    const a = t(SPECIALS.flatMap((v) => SPECIALS.map(() => v)));
    const b = t(SPECIALS.flatMap(() => SPECIALS));
    for (const [op, rows] of Object.entries(golden.binary as Record<string, Encoded[][]>)) {
      const f = opNamed(op);
      const expected = rows.flatMap(decodeAll);
      check(device.name, op, await f(a, b).data(), expected, pair, pairFlushing(expected));
    }
  });

  test(`reductions and logSumExp over rows of special values ${on}`, async () => {
    const rows = (golden.rows as Encoded[][]).map(decodeAll);
    for (const [op, values] of Object.entries(golden.reductions as Record<string, Encoded[]>)) {
      const f = opNamed(op);
      const actual: number[] = [];
      for (const row of rows) actual.push(await f(t(row)).item());
      const flushed = decodeAll(golden.reductionsFlushed[op]);
      check(device.name, op, actual, decodeAll(values), (i) => `[${rows[i]!.map(show).join(', ')}]`, flushes ? { flushed: (i) => flushed[i]! } : undefined);
    }
  });

  test(`maxPool2d and avgPool2d over windows of every pair of special values ${on}`, async () => {
    // an [1, 11, 22, 1] image: row i holds the pairs (specials[i], specials[j]) side by side
    const image = t(SPECIALS.flatMap((v) => SPECIALS.flatMap((w) => [v, w])), [1, N, 2 * N, 1]);
    for (const op of ['maxPool2d', 'avgPool2d'] as const) {
      const y = ops[op](image, { windowSize: [1, 2] });
      const expected = (golden[op] as Encoded[][]).flatMap(decodeAll);
      check(device.name, op, await y.data(), expected, pair, pairFlushing(expected));
    }
  });

  test(`int32 ops over 0, ±1, 2 and the int32 limits: arithmetic wraps modulo 2^32 ${on}`, async () => {
    const ints: number[] = golden.int32.specials;
    const int = (values: number[]) => t(values, undefined, 'int32');
    for (const [op, expected] of Object.entries(golden.int32.unary as Record<string, number[]>)) {
      const y = opNamed(op)(int(ints));
      assert.is(y.dtype, 'int32', op);
      assert.equal(Array.from(await y.data()), expected, `${op} ${on}`);
    }
    const a = int(ints.flatMap((v) => ints.map(() => v)));
    const b = int(ints.flatMap(() => ints));
    for (const [op, expected] of Object.entries(golden.int32.binary as Record<string, number[]>)) {
      const y = opNamed(op)(a, b);
      assert.equal(Array.from(await y.data()), expected, `${op} ${on}`);
    }
    assert.is(await ops.sum(int(ints)).item(), golden.int32.sum, `sum ${on}`);
  });

  test(`float32 -> int32 truncates, saturates and sends NaN to 0; int32 -> float32 rounds to nearest ${on}`, async () => {
    const { floatToInt, intToFloat } = golden.int32;
    assert.equal(Array.from(await ops.cast(t(decodeAll(floatToInt.inputs)), 'int32').data()), floatToInt.expected);
    check(device.name, 'cast', await ops.cast(t(intToFloat.inputs, undefined, 'int32'), 'float32').data(), decodeAll(intToFloat.expected), (i) => String(intToFloat.inputs[i]));
  });
}

test.run();
