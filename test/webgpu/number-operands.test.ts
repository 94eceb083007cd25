// A number operand (`mul(x, 2)`, `sub(1, x)`) reaches the kernel as a value: on WebGPU in
// the uniforms, with no buffer uploaded for it. Results and gradients equal those of the
// same op with the number as a scalar tensor, on both devices, for every binary op, either
// operand order, float32 and int32, vec4 and odd sizes.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../../src/autodiff/gradients.js';
import { cpu } from '../../src/device/cpu.js';
import type { Device } from '../../src/device/device.js';
import { BINARY_OPS, type BinaryOp } from '../../src/kernels/elementwise.js';
import * as ops from '../../src/ops/index.js';
import { type Tensor, fromData, scalar } from '../../src/tensor.js';
import { assertClose } from '../helpers/assert.js';
import { testWebGpu } from '../helpers/devices.js';

const gpu = await testWebGpu();
type BinaryFn = (a: Tensor | number, b: Tensor | number) => Tensor;
const binary = (op: BinaryOp): BinaryFn => (ops as unknown as Record<string, BinaryFn>)[op]!;

const floats = (n: number, seed: number): Float32Array => {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 6);
};

/** Bits of a result, for exact comparisons (NaN equal to NaN). */
async function bits(t: Tensor): Promise<number[]> {
  const data = await t.data();
  return Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));
}

if (gpu) {
  test('every binary op with a number equals the op with a scalar tensor, on both devices', async () => {
    for (const device of [cpu, gpu] as Device[]) {
      for (const n of [1, 3, 16, 17, 64]) {
        const data = floats(n, n);
        data[0] = NaN;
        const x = fromData(data, [n], device);
        const xi = fromData(Int32Array.from(data, (v) => (Number.isNaN(v) ? 7 : Math.round(v * 3))), [n], device);
        for (const op of Object.keys(BINARY_OPS) as BinaryOp[]) {
          for (const value of [2, -0.75, 0, NaN]) {
            for (const input of [x, xi]) {
              const asScalar = scalar(value, { device, dtype: input.dtype === 'int32' && Number.isInteger(value) ? 'int32' : 'float32' });
              for (const numberFirst of [false, true]) {
                const what = `${op} ${numberFirst ? `(${value}, x)` : `(x, ${value})`} ${input.dtype} n=${n} on ${device.kind}`;
                const actual = numberFirst ? binary(op)(value, input) : binary(op)(input, value);
                const expected = numberFirst ? binary(op)(asScalar, input) : binary(op)(input, asScalar);
                assert.is(actual.dtype, expected.dtype, what);
                assert.equal(await bits(actual), await bits(expected), what);
              }
            }
          }
        }
      }
    }
  });

  test('a number operand uploads nothing on WebGPU, forward or backward', async () => {
    const x = fromData(floats(64, 1).map((v) => Math.abs(v) + 0.5), [64], gpu);
    const uploadsOf = (run: () => unknown): number => {
      const before = gpu.counters.uploads;
      run();
      return gpu.counters.uploads - before;
    };
    const f = (t: Tensor) => ops.sum(ops.add(ops.mul(ops.pow(t, 3), 0.5), ops.sub(1, ops.div(2, t))));
    let y: Tensor | undefined;
    let dx: Tensor | undefined;
    assert.is(uploadsOf(() => (y = f(x))), 0, 'forward uploads');
    const seed = uploadsOf(() => grad((t: Tensor) => ops.sum(t))(x)); // the backward's seed of ones
    assert.is(uploadsOf(() => ([dx] = grad(f)(x))), seed, 'backward uploads beyond the seed');
    const xc = fromData(await x.data(), [64], cpu);
    assertClose(await y!.data(), await f(xc).data(), { atol: 1e-4, rtol: 1e-5 }, 'value');
    assertClose(await dx!.data(), await grad(f)(xc)[0]!.data(), { atol: 1e-4, rtol: 1e-5 }, 'gradient');
  });

  test('gradients through number operands equal those through scalar tensors', async () => {
    for (const device of [cpu, gpu] as Device[]) {
      const x = fromData(floats(17, 3).map((v) => Math.abs(v) + 0.25), [17], device);
      const s = (v: number) => scalar(v, { device });
      // pow(t, 0) meets a NaN gradient: its derivative is exactly 0 all the same
      const withNumbers = (t: Tensor) => ops.sum(ops.add(ops.add(ops.pow(2, t), ops.mul(ops.pow(t, 0), NaN)), ops.add(ops.maximum(t, 1), ops.minimum(1.5, t))));
      const withScalars = (t: Tensor) => ops.sum(ops.add(ops.add(ops.pow(s(2), t), ops.mul(ops.pow(t, s(0)), s(NaN))), ops.add(ops.maximum(t, s(1)), ops.minimum(s(1.5), t))));
      assert.equal(await bits(grad(withNumbers)(x)[0]!), await bits(grad(withScalars)(x)[0]!), device.kind);
    }
  });
}

test.run();
