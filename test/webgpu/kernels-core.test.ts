// Every elementwise, reduction and movement kernel on WebGPU against the CPU reference:
// random inputs of odd sizes (1, 3, 17, 33, 127), broadcasting, transposed and strided
// reads, int32, grids past 65,535 workgroups and a tensor past 16 M elements, and
// gradients through these ops equal to the CPU's.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../../src/autodiff/gradients.js';
import { UNARY_OPS, BINARY_OPS, type BinaryOp, type UnaryOp } from '../../src/kernels/elementwise.js';
import * as ops from '../../src/ops/index.js';
import { type Tensor, fromData, randn } from '../../src/tensor.js';
import type { Device } from '../../src/device/device.js';
import { cpu } from '../../src/device/cpu.js';
import { assertClose } from '../helpers/assert.js';
import { testWebGpu } from '../helpers/devices.js';

const gpu = await testWebGpu();
const SIZES = [1, 3, 17, 33, 127];

/** The same values on the CPU and on the GPU. */
function pair(data: Float32Array | Int32Array, shape: number[]): [Tensor, Tensor] {
  return [fromData(data, shape, cpu), fromData(data, shape, gpu as Device)];
}
const floats = (n: number, seed: number, scale = 1): Float32Array => {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2 * scale);
};
const ints = (n: number, seed: number, range = 20): Int32Array => Int32Array.from(floats(n, seed), (v) => Math.round(v * range));

async function same(f: (x: Tensor[]) => Tensor, inputs: [Tensor, Tensor][], tolerance = { atol: 1e-5, rtol: 1e-5 }, what = ''): Promise<void> {
  const expected = f(inputs.map((p) => p[0]));
  const actual = f(inputs.map((p) => p[1]));
  assert.equal([...actual.shape], [...expected.shape], `${what} shape`);
  assert.is(actual.dtype, expected.dtype, `${what} dtype`);
  assertClose(await actual.data(), await expected.data(), tolerance, what);
}

if (gpu) {
  test('unary kernels match the CPU on odd sizes (float32) and int32', async () => {
    for (const n of SIZES) {
      for (const op of Object.keys(UNARY_OPS) as UnaryOp[]) {
        const positive = op === 'log' || op === 'sqrt' || op === 'rsqrt';
        // WGSL promises sin and cos only to 2⁻¹¹ absolute, and only on [-π, π] (SwiftShader
        // is off by 1.7e-4 there; lavapipe by less than 2e-5)
        const trig = op === 'sin' || op === 'cos';
        const x = pair(positive ? floats(n, n).map((v) => Math.abs(v) + 0.1) : floats(n, n, trig ? Math.PI : 4), [n]);
        const fn = (ops as unknown as Record<string, (x: Tensor) => Tensor>)[op]!;
        await same(([a]) => fn(a!), [x], trig ? { atol: 2 ** -11, rtol: 0 } : { atol: 2e-5, rtol: 2e-5 }, `${op} n=${n}`);
      }
      const xi = pair(ints(n, n), [n]);
      for (const op of ['neg', 'abs', 'sign', 'square', 'relu'] as const) await same(([a]) => ops[op](a!), [xi], undefined, `${op} int32`);
    }
  });

  test('binary kernels match the CPU: equal shapes, scalars, broadcasting, int32', async () => {
    const shapes: [number[], number[]][] = [[[17], [17]], [[3, 33], [33]], [[127, 1], [1, 3]], [[1], [33, 3]], [[2, 3, 17], [2, 1, 17]], [[], [5]]];
    for (const [sa, sb] of shapes) {
      const na = sa.reduce((p, d) => p * d, 1);
      const nb = sb.reduce((p, d) => p * d, 1);
      for (const op of Object.keys(BINARY_OPS) as BinaryOp[]) {
        const a = pair(op === 'pow' ? floats(na, 3).map((v) => Math.abs(v) + 0.5) : floats(na, 3, 3), sa);
        const b = pair(op === 'div' ? floats(nb, 5).map((v) => v + Math.sign(v) + 0.01) : floats(nb, 5, 3), sb);
        const fn = (ops as unknown as Record<string, (a: Tensor, b: Tensor) => Tensor>)[op]!;
        await same(([x, y]) => fn(x!, y!), [a, b], { atol: 1e-5, rtol: 1e-5 }, `${op} ${sa}·${sb}`);
        if (op !== 'div' && op !== 'pow') await same(([x, y]) => fn(x!, y!), [pair(ints(na, 7), sa), pair(ints(nb, 9), sb)], undefined, `${op} int32`);
      }
    }
    // int32 multiplication wraps like Math.imul
    await same(([x, y]) => ops.mul(x!, y!), [pair(new Int32Array([65536, -70000]), [2]), pair(new Int32Array([65536, 70000]), [2])], undefined, 'imul');
  });

  test('where and cast match the CPU with broadcasting', async () => {
    for (const n of SIZES) {
      const c = pair(ints(n, 1, 1), [n, 1]);
      await same(([k, a, b]) => ops.where(k!, a!, b!), [c, pair(floats(n * 3, 2), [n, 3]), pair(floats(3, 4), [3])], undefined, `where n=${n}`);
      await same(([k, a, b]) => ops.where(k!, a!, b!), [pair(floats(n, 6), [n]), pair(ints(n, 2), [n]), pair(ints(1, 4), [1])], undefined, 'where int32');
      await same(([x]) => ops.cast(x!, 'int32'), [pair(floats(n, 8, 50), [n])], undefined, 'cast to int32');
      await same(([x]) => ops.cast(x!, 'float32'), [pair(ints(n, 8), [n])], undefined, 'cast to float32');
    }
  });

  test('reductions match the CPU over every axis set, odd sizes, float32 and int32', async () => {
    for (const [shape, axes] of [[[127], undefined], [[3, 17], 1], [[3, 17], 0], [[17, 33], [0, 1]], [[2, 3, 33], [0, 2]], [[1], 0]] as [number[], number | number[] | undefined][]) {
      const n = shape.reduce((p, d) => p * d, 1);
      const x = pair(floats(n, n + 1, 10), shape);
      for (const op of ['sum', 'max', 'min'] as const) {
        await same(([t]) => ops[op](t!, axes), [x], { atol: 1e-4, rtol: 1e-5 }, `${op} ${shape} ${axes}`);
        await same(([t]) => ops[op](t!, axes), [pair(ints(n, n + 2), shape)], undefined, `${op} int32`);
      }
      const last = typeof axes === 'number' ? axes : -1;
      await same(([t]) => ops.argmax(t!, last), [x], undefined, `argmax ${shape}`);
      await same(([t]) => ops.argmin(t!, last), [pair(ints(n, 3, 3), shape)], undefined, `argmin ties ${shape}`);
    }
  });

  test('long rows take two passes and still match (and repeat bit for bit)', async () => {
    const n = 300_001;
    const x = pair(floats(2 * n, 11), [2, n]);
    await same(([t]) => ops.sum(t!, 1), [x], { atol: 2e-3, rtol: 1e-4 }, 'sum');
    await same(([t]) => ops.max(t!, 1), [x], undefined, 'max');
    await same(([t]) => ops.argmin(t!, 1), [x], undefined, 'argmin');
    const first = await ops.sum(x[1], 1).data();
    const again = await ops.sum(x[1], 1).data();
    assert.equal(Array.from(again), Array.from(first), 'deterministic');
  });

  test('movement kernels match the CPU: transpose, slice, broadcastTo, pad, concat, gather, oneHot', async () => {
    for (const n of SIZES) {
      const x = pair(floats(n * 6, n), [2, n, 3]);
      await same(([t]) => ops.transpose(t!, [2, 0, 1]), [x], undefined, 'transpose');
      await same(([t]) => ops.slice(t!, [1, 0, 1], [1, n, 2]), [x], undefined, 'slice');
      await same(([t]) => ops.broadcastTo(t!, [4, 2, n, 3]), [x], undefined, 'broadcastTo');
      await same(([t]) => ops.pad(t!, [[1, 0], [0, 2], [3, 1]], -7.5), [x], undefined, 'pad');
      await same(([t]) => ops.pad(t!, [[0, 1], [2, 2]], 9), [pair(ints(n * 2, n), [n, 2])], undefined, 'pad int32');
      await same(([a, b]) => ops.concat([a!, b!, a!], 1), [x, pair(floats(2 * 5 * 3, 3), [2, 5, 3])], undefined, 'concat');
      const idx = pair(Int32Array.from({ length: 7 }, (_, i) => (i * 5) % n), [7]);
      await same(([t, i]) => ops.gather(t!, i!, 1), [x, idx], undefined, 'gather');
      await same(([i]) => ops.oneHot(i!, n + 2), [idx], undefined, 'oneHot');
      await same(([i]) => ops.oneHot(i!, 4, 'int32'), [pair(new Int32Array([0, 3, -1, 4]), [2, 2])], undefined, 'oneHot int32');
    }
    const transposedRead = pair(floats(33 * 17, 2), [33, 17]);
    await same(([t]) => ops.add(ops.transpose(t!), 1), [transposedRead], undefined, 'op on a transposed tensor');
  });

  test('gather clamps an out-of-range index on WebGPU and the next read throws saying so', async () => {
    const x = fromData(new Float32Array([1, 2, 3]), [3], gpu);
    const y = ops.gather(x, fromData(new Int32Array([0, 7]), [2], gpu));
    let message = '';
    await y.data().catch((e: Error) => (message = e.message));
    assert.match(message, /gather: index 7 is out of range \[0, 3\)/);
    assert.equal(Array.from(await ops.add(x, 1).data()), [2, 3, 4], 'the device keeps working');
  });

  test("gradients through these ops on WebGPU equal the CPU's", async () => {
    const f = (x: Tensor, w: Tensor): Tensor => {
      const h = ops.gelu(ops.add(ops.mul(x, w), ops.transpose(ops.slice(ops.pad(x, [[1, 1], [0, 0]]), [0, 0], [3, 3]))));
      const g = ops.gather(ops.concat([h, ops.exp(ops.neg(h))], 0), fromData(new Int32Array([0, 5, 5, 2]), [4], h.device));
      return ops.sum(ops.mul(ops.where(ops.greater(g, 0), g, ops.mul(g, 0.1)), ops.max(g, 0, { keepDims: true })));
    };
    const x = pair(floats(9, 1), [3, 3]);
    const w = pair(floats(3, 2), [3]);
    const [gxCpu, gwCpu] = grad(f)(x[0], w[0]);
    const [gxGpu, gwGpu] = grad(f)(x[1], w[1]);
    assertClose(await gxGpu!.data(), await gxCpu!.data(), { atol: 1e-5, rtol: 1e-4 }, 'dx');
    assertClose(await gwGpu!.data(), await gwCpu!.data(), { atol: 1e-5, rtol: 1e-4 }, 'dw');
  });

  test('grids past 65,535 workgroups and a tensor past 16 M elements', async () => {
    const n = 16 * 1024 * 1024 + 3; // 65,537 workgroups of 256: folded into 2-D
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (i % 1000) - 500;
    const x = fromData(data, [n], gpu);
    const y = ops.add(ops.mul(x, 2), 1);
    const out = await y.data();
    for (const i of [0, 1, 65535 * 256 - 1, 65535 * 256, n - 1]) assert.is(out[i], 2 * data[i]! + 1, `element ${i}`);
    let expected = 0;
    for (let i = 0; i < n; i++) expected += data[i]!;
    assertClose(await ops.sum(x).data(), [expected], { atol: 1, rtol: 1e-5 }, 'sum of 16 M');
    const big = randn([256, 65_537], { seed: 3, device: gpu }); // 65,537 rows: a folded grid of workgroups
    const rowsGpu = await ops.max(ops.transpose(big), 1).data();
    const rowsCpu = await ops.max(ops.transpose(fromData(await big.data(), big.shape, cpu)), 1).data();
    assertClose(rowsGpu, rowsCpu, { atol: 0, rtol: 0 }, 'max over 65,537 rows');
    [x, y, big].forEach((t) => t.dispose());
  });
}

test.run();
