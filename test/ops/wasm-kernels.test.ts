// The CPU device's WebAssembly SIMD kernels (src/kernels/wasm) against the TypeScript
// reference loops they stand in for: random, odd-sized and large inputs, every transpose
// and layout, and special values (NaN and ±Inf land where the reference puts them).
// Each case calls the kernel's `wasm` path and its `cpu` reference directly.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpu } from '../../src/device/cpu.js';
import { cpuData } from '../../src/kernels/kernel.js';
import { conv2dBackpropFilterKernel, conv2dBackpropInputKernel, conv2dKernel } from '../../src/kernels/conv.js';
import { biasActivationKernel, reluGradientKernel } from '../../src/kernels/bias-activation.js';
import { binaryKernel } from '../../src/kernels/elementwise.js';
import { matmulKernel } from '../../src/kernels/matmul.js';
import { sumColumnsKernel } from '../../src/kernels/sum-columns.js';
import { pool2dBackwardKernel, pool2dKernel } from '../../src/kernels/pool.js';
import { conv2dGeometry } from '../../src/ops/conv.js';
import { wasmKernels } from '../../src/kernels/wasm/module.js';
import { type Tensor, fromData } from '../../src/tensor.js';

assert.ok(wasmKernels(), 'WebAssembly SIMD is available in Node');

/** Seeded values in [-1, 1), with `special` of them replaced by NaN, Inf and -Inf. */
function values(size: number, seed: number, special = 0): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  for (let j = 0; j < special; j++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[s % size] = [NaN, Infinity, -Infinity][j % 3]!;
  }
  return out;
}

function input(shape: number[], seed: number, special = 0): Tensor {
  return fromData(values(shape.reduce((a, b) => a * b, 1), seed, special), shape, cpu);
}

/** Same NaN positions, same infinities, finite values within atol + rtol·|ref|. */
function assertMatches(actual: Tensor, reference: Tensor, what: string, atol = 1e-5, rtol = 1e-4): void {
  assert.equal([...actual.shape], [...reference.shape], `${what}: shape`);
  const got = cpuData(actual);
  const want = cpuData(reference);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (!(Number.isNaN(w) && Number.isNaN(g))) assert.unreachable(`${what}: element ${i} is ${g}, the reference ${w}`);
    } else if (!Number.isFinite(w) || !Number.isFinite(g)) {
      if (g !== w) assert.unreachable(`${what}: element ${i} is ${g}, the reference ${w}`);
    } else if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) {
      assert.unreachable(`${what}: element ${i} is ${g}, the reference ${w}`);
    }
  }
}

test('matmul: every transpose, odd and large sizes, batches, against the reference', () => {
  const cases: [number, number, number, number, number][] = [
    // [batch, m, n, k, batch of b (1 = shared)]
    [1, 33, 17, 65, 1],
    [1, 7, 9, 70, 1],
    [1, 128, 512, 784, 1],
    [1, 130, 10, 511, 1],
    [3, 21, 13, 19, 3],
    [4, 9, 31, 29, 1],
  ];
  for (const [batch, m, n, k, batchB] of cases) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const a = input([batch, ...(transposeA ? [k, m] : [m, k])], m + n);
        const b = input([batchB, ...(transposeB ? [n, k] : [k, n])], k + 1);
        const info = { batch, m, n, k, transposeA, transposeB };
        const fast = matmulKernel.wasm!(a, b, info);
        assert.ok(fast, `the wasm path takes ${batch}×${m}×${n}×${k}`);
        assertMatches(fast!, matmulKernel.cpu(a, b, info), `matmul ${JSON.stringify(info)}`, 1e-5 * Math.sqrt(k));
      }
    }
  }
});

test('matmul: NaN and ±Inf propagate as in the reference', () => {
  for (const [m, n, k] of [[37, 23, 41], [64, 64, 64]] as const) {
    const a = input([1, m, k], 5, 7);
    const b = input([1, k, n], 6, 5);
    const info = { batch: 1, m, n, k, transposeA: false, transposeB: false };
    assertMatches(matmulKernel.wasm!(a, b, info)!, matmulKernel.cpu(a, b, info), `matmul ${m}×${n}×${k} with specials`, 1e-4);
  }
});

test('matmul: products too small to pay for the copies stay on the reference', () => {
  const info = { batch: 1, m: 2, n: 3, k: 4, transposeA: false, transposeB: false };
  assert.is(matmulKernel.wasm!(input([1, 2, 4], 1), input([1, 4, 3], 2), info), null);
});

test('matmul: split across the second thread, the same result as on one', async () => {
  const rt = wasmKernels()!;
  if (!rt.tensorsInMemory) {
    // no shared memory (wasm-unshared.test.ts runs this file so): no worker, one thread
    await new Promise((r) => setTimeout(r, 100));
    assert.not.ok(rt.threaded, 'no worker without a shared memory');
  }
  for (let i = 0; i < 200 && rt.tensorsInMemory && !rt.threaded; i++) await new Promise((r) => setTimeout(r, 25));
  assert.is(rt.threaded, rt.tensorsInMemory, 'the worker thread started (where memory is shared)');
  for (const [m, n, k] of [[128, 512, 784], [300, 6, 150], [97, 33, 257]] as const) {
    const a = input([1, m, k], 11);
    const b = input([1, k, n], 12);
    const info = { batch: 1, m, n, k, transposeA: false, transposeB: false };
    assertMatches(matmulKernel.wasm!(a, b, info)!, matmulKernel.cpu(a, b, info), `threaded matmul ${m}×${n}×${k}`, 1e-5 * Math.sqrt(k));
  }
});

test('conv2d and both gradients: strides, padding, dilation, odd sizes, against the reference', () => {
  // [batch, size, inC, kernel, outC, strides, padding, dilations]
  const cases: [number, number, number, number, number, number, 'same' | 'valid', number][] = [
    [3, 11, 1, 5, 6, 1, 'same', 1],
    [2, 10, 6, 5, 16, 1, 'valid', 1],
    [2, 9, 3, 3, 5, 2, 'same', 1],
    [1, 13, 4, 3, 7, 1, 'valid', 2],
    [2, 8, 5, 2, 9, 3, 'valid', 1],
    [16, 28, 1, 5, 6, 1, 'same', 1],
  ];
  for (const [batch, size, inC, kernel, outC, strides, padding, dilations] of cases) {
    const g = conv2dGeometry('conv2d', [batch, size, size, inC], kernel, kernel, outC, strides, padding, dilations);
    const what = `${batch}×${size}×${size}×${inC} * ${kernel}×${kernel}×${outC} s${strides} ${padding} d${dilations}`;
    const x = input([batch, size, size, inC], size + inC);
    const w = input([kernel, kernel, inC, outC], kernel + outC);
    const dy = input([batch, g.outH, g.outW, outC], outC);
    assertMatches(conv2dKernel.wasm!(x, w, g)!, conv2dKernel.cpu(x, w, g), `conv2d ${what}`);
    assertMatches(conv2dBackpropInputKernel.wasm!(dy, w, g)!, conv2dBackpropInputKernel.cpu(dy, w, g), `input gradient ${what}`);
    assertMatches(conv2dBackpropFilterKernel.wasm!(x, dy, g)!, conv2dBackpropFilterKernel.cpu(x, dy, g), `filter gradient ${what}`, 1e-4);
  }
});

test('conv2d and both gradients: NaN and ±Inf propagate as in the reference', () => {
  const g = conv2dGeometry('conv2d', [2, 9, 9, 3], 3, 3, 5, 1, 'same', 1);
  const x = input([2, 9, 9, 3], 1, 6);
  const w = input([3, 3, 3, 5], 2, 2);
  const dy = input([2, g.outH, g.outW, 5], 3, 4);
  assertMatches(conv2dKernel.wasm!(x, w, g)!, conv2dKernel.cpu(x, w, g), 'conv2d with specials');
  assertMatches(conv2dBackpropInputKernel.wasm!(dy, w, g)!, conv2dBackpropInputKernel.cpu(dy, w, g), 'input gradient with specials');
  assertMatches(conv2dBackpropFilterKernel.wasm!(x, dy, g)!, conv2dBackpropFilterKernel.cpu(x, dy, g), 'filter gradient with specials');
});

test('add, sub, mul, div: same shapes and scalar operands, odd sizes, specials, exactly as the reference', () => {
  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
    for (const size of [1031, 4096, 100_003]) {
      const a = input([size], size, 9);
      const b = input([size], size + 1, 9);
      const s = fromData(new Float32Array([op === 'div' ? 0 : -0.75]), [], cpu);
      for (const [x, y, layout] of [[a, b, 'same'], [a, s, 'scalar b'], [s, b, 'scalar a']] as const) {
        const fast = binaryKernel.wasm!(op, x, y, [size], 'float32');
        assert.ok(fast, `${op} ${layout} ${size} takes the wasm path`);
        assertMatches(fast!, binaryKernel.cpu(op, x, y, [size], 'float32'), `${op} ${layout} ${size}`, 0, 0);
      }
    }
  }
  const x = input([3, 1000], 1);
  assert.is(binaryKernel.wasm!('add', x, input([1000], 2), [3, 1000], 'float32'), null, 'a broadcast row stays on the reference');
  assert.is(binaryKernel.wasm!('pow', x, x, [3, 1000], 'float32'), null, 'pow stays on the reference');
});

test('biasActivation and reluGradient: rows of several widths (any bias length), specials and -0, exactly as the reference', () => {
  for (const [rows, C] of [[128, 512], [37, 84], [1000, 16]] as const) {
    const x = input([rows, C], C, 11);
    const data = cpuData(x);
    data[3] = -0;
    data[5] = 0;
    const bias = input([C], C + 1, 2);
    for (const activation of ['identity', 'relu'] as const) {
      assertMatches(biasActivationKernel.wasm!(x, bias, activation)!, biasActivationKernel.cpu(x, bias, activation), `biasActivation ${activation} ${rows}×${C}`, 0, 0);
      const y = biasActivationKernel.cpu(x, bias, activation);
      const dy = input([rows, C], rows, 11);
      assertMatches(reluGradientKernel.wasm!(dy, y)!, reluGradientKernel.cpu(dy, y), `reluGradient ${rows}×${C}`, 0, 0);
    }
  }
  // +0 and -0 are told apart: relu(-0 + 0) must be +0 as in the reference
  const x = fromData(new Float32Array(2048).fill(-0), [512, 4], cpu);
  const y = biasActivationKernel.wasm!(x, fromData(new Float32Array(4).fill(-0), [4], cpu), 'relu')!;
  assert.ok(cpuData(y).every((v) => Object.is(v, 0)), 'relu(-0) is +0');
  for (const [rows, C] of [[3136, 6], [300, 10], [1000, 7]] as const) {
    const x = input([rows, C], C, 5);
    const bias = input([C], C + 1, 1);
    assertMatches(biasActivationKernel.wasm!(x, bias, 'relu')!, biasActivationKernel.cpu(x, bias, 'relu'), `biasActivation relu ${rows}×${C}, C repeated to lcm(C, 4)`, 0, 0);
  }
  assert.is(biasActivationKernel.wasm!(input([301, 10], 1), input([10], 2), 'relu'), null, '301 rows of 10 (not whole rows of 20) stay on the reference');
});

test('sumColumns: odd and even widths, specials, exactly as the float64 reference', () => {
  for (const [rows, columns] of [[128, 512], [100352 / 16, 6], [37, 1031], [1000, 7], [2, 1021]] as const) {
    const x = input([rows, columns], rows + columns, 7);
    const fast = sumColumnsKernel.wasm!(x, rows, columns);
    assert.ok(fast, `the wasm path takes ${rows}×${columns}`);
    assertMatches(fast!, sumColumnsKernel.cpu(x, rows, columns), `sumColumns ${rows}×${columns}`, 0, 0);
  }
  const x = input([300, 10], 1);
  assertMatches(sumColumnsKernel.wasm!(x, 300, 10)!, sumColumnsKernel.cpu(x, 300, 10), 'sumColumns 300×10', 0, 0);
  assert.is(sumColumnsKernel.wasm!(input([10, 10], 1), 10, 10), null, 'a small one stays on the reference');
});

test('max pool and its gradient: windows apart, overlapping, padded, any channel count, specials and ±0, exactly as the reference', () => {
  // [batch, size, channels, window, stride, padding]
  const cases: [number, number, number, number, number, 'same' | 'valid'][] = [
    [16, 28, 6, 2, 2, 'valid'],
    [4, 10, 16, 2, 2, 'valid'],
    [3, 9, 5, 3, 1, 'same'],
    [4, 11, 8, 3, 2, 'same'],
    [40, 7, 1, 2, 1, 'valid'],
  ];
  for (const [batch, size, C, window, stride, padding] of cases) {
    const g = conv2dGeometry('maxPool2d', [batch, size, size, C], window, window, C, stride, padding, 1);
    const what = `${batch}×${size}×${size}×${C} window ${window} stride ${stride} ${padding}`;
    const x = input([batch, size, size, C], size + C, 9);
    const data = cpuData(x);
    for (let i = 0; i < data.length; i += 97) data[i] = i % 2 ? -0 : 0; // ties of ±0: the first one wins
    for (let i = 5; i < data.length; i += 131) data[i] = data[i - 1]!; // ties of equal values
    const dy = input([batch, g.outH, g.outW, C], C, 3);
    const y = pool2dKernel.wasm!('max', x, g);
    assert.ok(y, `the wasm path takes ${what}`);
    const reference = pool2dKernel.cpu('max', x, g);
    assertMatches(y!, reference, `max pool ${what}`, 0, 0);
    assert.ok(cpuData(y!).every((v, i) => Object.is(v, cpuData(reference)[i]) || Number.isNaN(v)), `max pool ${what}: ±0 as the reference`);
    assertMatches(pool2dBackwardKernel.wasm!('max', dy, x, g)!, pool2dBackwardKernel.cpu('max', dy, x, g), `max pool gradient ${what}`, 0, 0);
  }
  const g = conv2dGeometry('avgPool2d', [4, 10, 10, 4], 2, 2, 4, 2, 'valid', 1);
  assert.is(pool2dKernel.wasm!('avg', input([4, 10, 10, 4], 1), g), null, 'average pooling stays on the reference');
});

test.run();
