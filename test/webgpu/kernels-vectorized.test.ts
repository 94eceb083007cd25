// The vectorized WebGPU paths against the CPU reference: unary and binary maps over sizes
// divisible by 4 (vec4s, several per invocation: one vec4, a part of one workgroup, several
// workgroups with a partial last invocation) next to sizes 1–3 past them (one element per
// invocation); reductions reading vec4 rows, in one pass and split in two (with the
// software adapter's and a GPU's first-pass tuning, which also covers the second pass's
// workgroup tree), deterministic from run to run. kernels-core.test.ts covers odd sizes.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpu } from '../../src/device/cpu.js';
import type { Device } from '../../src/device/device.js';
import { BINARY_OPS, type BinaryOp } from '../../src/kernels/elementwise.js';
import { FIRST_PASS_WORKGROUPS, type ReduceOp, reduceKernel, reduceOnWebGpu } from '../../src/kernels/reduce.js';
import * as ops from '../../src/ops/index.js';
import { type Tensor, fromData } from '../../src/tensor.js';
import { assertClose } from '../helpers/assert.js';
import { testWebGpu } from '../helpers/devices.js';

const gpu = await testWebGpu();
/** 4: one vec4; 1028: part of a workgroup; 3 × 4096 + 8: four workgroups of 256 × 4 vec4s,
 * the last invocation with one; then the sizes just past them, which are not vectorized. */
const SIZES = [4, 1028, 12_296, 5, 1031, 12_299];

const floats = (n: number, seed: number, scale = 1): Float32Array => {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2 * scale);
};
const ints = (n: number, seed: number, range = 20): Int32Array => Int32Array.from(floats(n, seed), (v) => Math.round(v * range));

/** f on the CPU and on the GPU, same inputs, compared. */
async function same(f: (xs: Tensor[]) => Tensor, inputs: { data: Float32Array | Int32Array; shape: number[] }[], tolerance = { atol: 1e-5, rtol: 1e-5 }, what = ''): Promise<void> {
  const on = (device: Device) => f(inputs.map(({ data, shape }) => fromData(data, shape, device)));
  const [expected, actual] = [on(cpu), on(gpu as Device)];
  assert.equal([...actual.shape], [...expected.shape], `${what} shape`);
  assertClose(await actual.data(), await expected.data(), tolerance, what);
}

if (gpu) {
  test('vectorized unary maps match the CPU (float32, int32), and so do the sizes just past them', async () => {
    for (const n of SIZES) {
      for (const op of ['neg', 'exp', 'sqrt', 'relu', 'sigmoid', 'tanh', 'gelu'] as const) {
        const data = op === 'sqrt' ? floats(n, n).map((v) => Math.abs(v) + 0.1) : floats(n, n, 4);
        await same(([x]) => ops[op](x!), [{ data, shape: [n] }], { atol: 2e-5, rtol: 2e-5 }, `${op} n=${n}`);
      }
      await same(([x]) => ops.leakyRelu(x!, 0.3), [{ data: floats(n, 2, 4), shape: [n] }], undefined, `leakyRelu n=${n}`);
      for (const op of ['neg', 'abs', 'square', 'relu'] as const) await same(([x]) => ops[op](x!), [{ data: ints(n, n), shape: [n] }], undefined, `${op} int32 n=${n}`);
    }
  });

  test('vectorized binary maps match the CPU: equal shapes and a scalar on either side, float32 and int32', async () => {
    for (const n of SIZES) {
      for (const op of Object.keys(BINARY_OPS) as BinaryOp[]) {
        const fn = (ops as unknown as Record<string, (a: Tensor, b: Tensor) => Tensor>)[op]!;
        const a = op === 'pow' ? floats(n, 3).map((v) => Math.abs(v) + 0.5) : floats(n, 3, 3);
        const b = op === 'div' ? floats(n, 5).map((v) => v + Math.sign(v) + 0.01) : floats(n, 5, 3);
        await same(([x, y]) => fn(x!, y!), [{ data: a, shape: [n] }, { data: b, shape: [n] }], undefined, `${op} n=${n}`);
        await same(([x, y]) => fn(x!, y!), [{ data: a, shape: [n] }, { data: b.subarray(0, 1), shape: [] }], undefined, `${op} n=${n} · scalar`);
        await same(([x, y]) => fn(x!, y!), [{ data: a.subarray(0, 1), shape: [1] }, { data: b, shape: [n] }], undefined, `${op} scalar · n=${n}`);
        if (op !== 'div' && op !== 'pow') {
          await same(([x, y]) => fn(x!, y!), [{ data: ints(n, 7), shape: [n] }, { data: ints(n, 9), shape: [n] }], undefined, `${op} int32 n=${n}`);
        }
      }
    }
    // comparisons give float32 from int32, and ties are exercised by small integers
    await same(([x, y]) => ops.greaterEqual(x!, y!), [{ data: ints(16, 1, 2), shape: [4, 4] }, { data: ints(16, 2, 2), shape: [4, 4] }], undefined, 'greaterEqual int32');
  });

  test('vectorized reductions match the CPU: rows of a multiple of 4, one pass and two, sum/max/min, float32 and int32', async () => {
    // [rows, inner]: short rows (serial), tree rows, and long rows split in two passes
    const shapes = [[7, 12], [3, 1028], [65, 4100], [1, 65_536], [5, 20_000], [2, 300_000], [1, 300_002]];
    for (const [rows, inner] of shapes as [number, number][]) {
      const n = rows * inner;
      for (const op of ['sum', 'max', 'min'] as const) {
        await same(([x]) => ops[op](x!, 1), [{ data: floats(n, n, 10), shape: [rows, inner] }], { atol: 2e-3, rtol: 1e-5 }, `${op} [${rows}, ${inner}]`);
        await same(([x]) => ops[op](x!, 1), [{ data: ints(n, n + 1), shape: [rows, inner] }], { atol: 0, rtol: 0 }, `${op} int32 [${rows}, ${inner}]`);
      }
      await same(([x]) => ops.argmax(x!, 1), [{ data: floats(n, n + 2), shape: [rows, inner] }], undefined, `argmax [${rows}, ${inner}]`);
    }
  });

  test("reductions split with a GPU's first-pass tuning (many chunks, a workgroup tree in the second pass) match too", async () => {
    for (const [rows, inner] of [[1, 4_000_000], [3, 300_004], [2, 300_001]] as [number, number][]) {
      const data = floats(rows * inner, inner, 10);
      const x = fromData(data, [rows * inner], gpu);
      const xCpu = fromData(data, [rows * inner], cpu);
      for (const op of ['sum', 'max', 'argmin'] as ReduceOp[]) {
        const expected = await reduceKernel.cpu(op, xCpu, rows, inner).data();
        for (const target of [FIRST_PASS_WORKGROUPS.gpu, FIRST_PASS_WORKGROUPS.software, 2]) {
          const actual = await reduceOnWebGpu(op, x, rows, inner, target).data();
          assertClose(actual, expected, { atol: op === 'sum' ? 2e-2 : 0, rtol: 1e-5 }, `${op} [${rows}, ${inner}] aiming at ${target} workgroups`);
        }
      }
      x.dispose();
    }
  });

  test('a vectorized sum of 4M floats repeats bit for bit', async () => {
    const x = fromData(floats(4 * 1024 * 1024, 9), [4 * 1024 * 1024], gpu);
    const first = await ops.sum(x).data();
    for (let i = 0; i < 3; i++) assert.equal(Array.from(await ops.sum(x).data()), Array.from(first));
    x.dispose();
  });
}

test.run();
