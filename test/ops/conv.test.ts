// conv2d (NHWC input, HWIO filters) and max/avg pooling: forward against hand values and
// a direct seven-loop float64 reference over strides, paddings and dilations; gradients
// of input and filter by finite differences.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../../src/autodiff/gradients.js';
import { type Conv2DOptions, type Padding, avgPool2d, conv2d, maxPool2d, mul, sum } from '../../src/ops/index.js';
import { type Tensor, tensor } from '../../src/tensor.js';
import { assertClose, checkGradient } from '../helpers/assert.js';
import { normal, testDevices } from './support.js';

const weighted = (y: Tensor, seed = 99): Tensor => sum(mul(y, normal(y.shape, y.device, seed)));

/** Output size and leading padding of one axis, TensorFlow's rules, written out again
 * here so the reference does not share code with the op. */
function geometry(size: number, k: number, stride: number, dilation: number, padding: Padding): [number, number] {
  const span = (k - 1) * dilation + 1;
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    return [out, Math.floor(Math.max((out - 1) * stride + span - size, 0) / 2)];
  }
  const pad = padding === 'valid' ? 0 : padding;
  return [Math.floor((size + 2 * pad - span) / stride) + 1, pad];
}

/** y[n,oh,ow,co] = Σ_{kh,kw,ci} x[n, oh·s - pad + kh·d, ow·s - pad + kw·d, ci] · w[kh,kw,ci,co]. */
function naiveConv(x: ArrayLike<number>, xs: number[], w: ArrayLike<number>, ws: number[], s: number, d: number, padding: Padding): { data: Float64Array; shape: number[] } {
  const [N, H, W, C] = xs as [number, number, number, number];
  const [KH, KW, , CO] = ws as [number, number, number, number];
  const [OH, padTop] = geometry(H, KH, s, d, padding);
  const [OW, padLeft] = geometry(W, KW, s, d, padding);
  const y = new Float64Array(N * OH * OW * CO);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let co = 0; co < CO; co++) {
          let acc = 0;
          for (let kh = 0; kh < KH; kh++)
            for (let kw = 0; kw < KW; kw++) {
              const ih = oh * s - padTop + kh * d;
              const iw = ow * s - padLeft + kw * d;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              for (let ci = 0; ci < C; ci++) acc += x[((n * H + ih) * W + iw) * C + ci]! * w[((kh * KW + kw) * C + ci) * CO + co]!;
            }
          y[((n * OH + oh) * OW + ow) * CO + co] = acc;
        }
  return { data: y, shape: [N, OH, OW, CO] };
}

for (const device of await testDevices()) {
  const on = `[${device.name}]`;
  const t = (values: Parameters<typeof tensor>[0], shape?: number[]): Tensor => tensor(values, { device, shape });

  test(`conv2d by hand: a 2×2 box filter, valid and same ${on}`, async () => {
    const x = t([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const w = t([1, 1, 1, 1], [2, 2, 1, 1]);
    const valid = conv2d(x, w);
    assert.equal([...valid.shape], [1, 2, 2, 1]);
    assert.equal(await valid.data().then(Array.from), [12, 16, 24, 28]);
    // 'same' with an even filter pads after (TensorFlow): the last row/column sees zeros
    assert.equal(await conv2d(x, w, { padding: 'same' }).data().then(Array.from), [12, 16, 9, 24, 28, 15, 15, 17, 9]);
    assert.equal(await conv2d(x, w, { strides: 2, padding: 'same' }).data().then(Array.from), [12, 9, 15, 9]);
  });

  test(`conv2d mixes channels as HWIO says ${on}`, async () => {
    // a 1×1 conv is a matmul over channels: y[..., co] = Σ_ci x[..., ci] · w[ci, co]
    const x = t([1, 2, 3, 4], [1, 1, 2, 2]);
    const w = t([1, 10, 100, 1000], [1, 1, 2, 2]);
    assert.equal(await conv2d(x, w).data().then(Array.from), [1 + 200, 10 + 2000, 3 + 400, 30 + 4000]);
  });

  test(`conv2d matches the direct loop over strides, paddings and dilations ${on}`, async () => {
    const cases: [number[], number[], Conv2DOptions][] = [
      [[2, 5, 6, 3], [3, 3, 3, 4], { padding: 'valid' }],
      [[2, 5, 6, 3], [3, 3, 3, 4], { padding: 'same' }],
      [[1, 7, 7, 2], [3, 2, 2, 3], { padding: 'same', strides: 2 }],
      [[1, 8, 7, 2], [3, 3, 2, 2], { padding: 1, strides: 3 }],
      [[1, 7, 7, 2], [3, 3, 2, 2], { padding: 'valid', dilations: 2 }],
      [[1, 6, 6, 1], [2, 2, 1, 5], { padding: 'same', dilations: 2 }],
      [[3, 4, 4, 5], [1, 1, 5, 2], {}],
    ];
    for (const [xs, ws, options] of cases) {
      const x = normal(xs, device, 1);
      const w = normal(ws, device, 2);
      const s = typeof options.strides === 'number' ? options.strides : 1;
      const d = typeof options.dilations === 'number' ? options.dilations : 1;
      const expected = naiveConv(await x.data(), xs, await w.data(), ws, s, d, options.padding ?? 'valid');
      const y = conv2d(x, w, options);
      const what = `${JSON.stringify(xs)} * ${JSON.stringify(ws)} ${JSON.stringify(options)}`;
      assert.equal([...y.shape], expected.shape, what);
      assertClose(await y.data(), expected.data, { atol: 1e-4, rtol: 1e-4 }, what);
    }
  });

  test(`conv2d gradients of input and filter ${on}`, async () => {
    const cases: [number[], number[], Conv2DOptions][] = [
      [[2, 4, 4, 2], [3, 3, 2, 3], { padding: 'same' }],
      [[1, 5, 5, 2], [2, 2, 2, 2], { padding: 'valid', strides: 2 }],
      [[1, 5, 5, 1], [2, 2, 1, 2], { padding: 1, dilations: 2 }],
    ];
    for (const [xs, ws, options] of cases) {
      await checkGradient((x, w) => weighted(conv2d(x, w, options)), [normal(xs, device, 3), normal(ws, device, 4)]).catch((e: Error) =>
        assert.unreachable(`${JSON.stringify(options)}: ${e.message}`));
    }
  });

  // ------------------------------------------------------------ pooling

  test(`maxPool2d and avgPool2d by hand ${on}`, async () => {
    const x = t([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 4, 4, 1]);
    assert.equal(await maxPool2d(x, { windowSize: 2 }).data().then(Array.from), [6, 8, 14, 16]);
    assert.equal(await avgPool2d(x, { windowSize: 2 }).data().then(Array.from), [3.5, 5.5, 11.5, 13.5]);
    assert.equal(await maxPool2d(x, { windowSize: 3, strides: 1 }).data().then(Array.from), [11, 12, 15, 16]);
    // 'same' on 3×3 with window 2, stride 2: padding after; averages count in-bounds elements only
    const y = t([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    assert.equal(await avgPool2d(y, { windowSize: 2, padding: 'same' }).data().then(Array.from), [3, 4.5, 7.5, 9]);
    assert.equal(await maxPool2d(t([-5, -6, -7, -8, -9, -1, -2, -3, -4], [1, 3, 3, 1]), { windowSize: 2, padding: 'same' }).data().then(Array.from), [-5, -1, -2, -4], 'padding never wins');
  });

  test(`pooling keeps channels and batch apart ${on}`, async () => {
    // x[n, h, w, c] = 100 n + 10 c + (2h + w)
    const values = Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => {
      const c = i % 3;
      const pos = Math.floor(i / 3) % 4;
      const n = Math.floor(i / 12);
      return 100 * n + 10 * c + pos;
    });
    const x = t(values, [2, 2, 2, 3]);
    assert.equal(await maxPool2d(x, { windowSize: 2 }).data().then(Array.from), [3, 13, 23, 103, 113, 123]);
    assert.equal(await avgPool2d(x, { windowSize: 2 }).data().then(Array.from), [1.5, 11.5, 21.5, 101.5, 111.5, 121.5]);
  });

  test(`pooling gradients ${on}`, async () => {
    const x = normal([2, 5, 5, 2], device, 5);
    await checkGradient((x) => weighted(maxPool2d(x, { windowSize: 2 })), [x]);
    await checkGradient((x) => weighted(maxPool2d(x, { windowSize: 3, strides: 2, padding: 'same' })), [x]);
    await checkGradient((x) => weighted(avgPool2d(x, { windowSize: 2, strides: 1 })), [x]);
    await checkGradient((x) => weighted(avgPool2d(x, { windowSize: 3, strides: 2, padding: 'same' })), [x]);
  });

  test(`max pooling sends the gradient to the window's maximum only ${on}`, async () => {
    const x = t([1, 9, 3, 4], [1, 2, 2, 1]);
    const [g] = grad((x) => sum(maxPool2d(x, { windowSize: 2 })))(x);
    assert.equal(await g!.data().then(Array.from), [0, 1, 0, 0]);
    const [a] = grad((x) => sum(avgPool2d(x, { windowSize: 2 })))(x);
    assert.equal(await a!.data().then(Array.from), [0.25, 0.25, 0.25, 0.25]);
  });
}

test.run();
