// Tensors: creation functions, seeded randomness, readback, dispose, and memory scopes
// (tidy, keep, tidyAsync, startScope/endScope) counted with liveTensorCount.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { endScope, keep, startScope, tidy, tidyAsync } from '../../src/memory.js';
import { add, exp, mul, reshape, sum } from '../../src/ops/index.js';
import { type Tensor, arange, fromData, full, liveTensorCount, memory, ones, randn, randu, scalar, tensor, zeros } from '../../src/tensor.js';
import { assertClose } from '../helpers/assert.js';
import { testDevices } from './support.js';
import { testWebGpu } from '../helpers/devices.js';

for (const device of await testDevices()) {
  const on = `[${device.name}]`;
  const live = (): number => liveTensorCount(device);

  test(`tensor infers shape from nested arrays and takes typed arrays ${on}`, async () => {
    const m = tensor([[1, 2, 3], [4, 5, 6]], { device });
    assert.equal([...m.shape], [2, 3]);
    assert.is(m.dtype, 'float32');
    assert.is(m.size, 6);
    assert.is(m.rank, 2);
    assert.is(m.device, device);
    assert.equal(await m.array(), [[1, 2, 3], [4, 5, 6]]);
    const typed = tensor(new Int32Array([1, 2, 3, 4]), { device, shape: [2, 2] });
    assert.is(typed.dtype, 'int32');
    assert.equal(await typed.array(), [[1, 2], [3, 4]]);
    assert.equal(await tensor([1, 2, 3, 4], { device, shape: [2, 1, 2] }).array(), [[[1, 2]], [[3, 4]]]);
    const i = tensor([7, -8], { device, dtype: 'int32' });
    assert.instance(await i.data(), Int32Array);
  });

  test(`scalar, zeros, ones, full, fromData ${on}`, async () => {
    const s = scalar(2.5, { device });
    assert.equal([...s.shape], []);
    assert.is(s.size, 1);
    assert.is(await s.item(), 2.5);
    assert.is(await s.array(), 2.5);
    assert.equal(await zeros([2, 2], { device }).array(), [[0, 0], [0, 0]]);
    assert.equal(await ones([3], { device, dtype: 'int32' }).array(), [1, 1, 1]);
    assert.equal(await full([2], 7, { device }).array(), [7, 7]);
    const empty = zeros([0, 5], { device });
    assert.is(empty.size, 0);
    assert.equal(await empty.array(), []);
    const source = new Float32Array([1, 2]);
    const copy = fromData(source, [2], device);
    source[0] = 99;
    assert.equal(await copy.array(), [1, 2], 'fromData copies');
  });

  test(`arange: stop, start/stop/step, negative step, empty ${on}`, async () => {
    assert.equal(await arange(4, undefined, 1, { device }).array(), [0, 1, 2, 3]);
    assert.equal(await arange(2, 10, 3, { device }).array(), [2, 5, 8]);
    assert.equal(await arange(3, 0, -1, { device }).array(), [3, 2, 1]);
    assertClose(await arange(0, 1, 0.25, { device }).data(), [0, 0.25, 0.5, 0.75]);
    assert.equal([...arange(5, 2, 1, { device }).shape], [0]);
    assert.is(arange(3, undefined, 1, { device, dtype: 'int32' }).dtype, 'int32');
  });

  test(`randn and randu: the same seed gives the same values, another seed others ${on}`, async () => {
    const a = await randn([64], { seed: 7, device }).data();
    const b = await randn([64], { seed: 7, device }).data();
    const c = await randn([64], { seed: 8, device }).data();
    assert.equal(Array.from(a), Array.from(b));
    assert.not.equal(Array.from(a), Array.from(c));
    assert.equal(Array.from(await randu([8], { seed: 3, device }).data()), Array.from(await randu([8], { seed: 3, device }).data()));
  });

  test(`randn has the asked mean and spread; randu stays in [low, high) ${on}`, async () => {
    const n = 20000;
    const x = Array.from(await randn([n], { seed: 1, device, mean: 2, std: 3 }).data());
    const m = x.reduce((s, v) => s + v, 0) / n;
    const sd = Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / n);
    assert.ok(Math.abs(m - 2) < 0.1, `mean ${m}`);
    assert.ok(Math.abs(sd - 3) < 0.1, `std ${sd}`);
    const u = Array.from(await randu([n], { seed: 2, device, low: -1, high: 3 }).data());
    assert.ok(u.every((v) => v >= -1 && v < 3));
    const um = u.reduce((s, v) => s + v, 0) / n;
    assert.ok(Math.abs(um - 1) < 0.05, `uniform mean ${um}`);
  });

  test(`dispose frees once, is safe twice, and a view outlives its source ${on}`, async () => {
    const before = live();
    const buffers = device.memory().buffers;
    const x = tensor([1, 2, 3, 4], { device });
    const v = reshape(x, [2, 2]);
    assert.is(live(), before + 2);
    assert.is(device.memory().buffers, buffers + 1, 'reshape shares storage');
    x.dispose();
    x.dispose();
    assert.ok(x.isDisposed);
    assert.is(live(), before + 1);
    assert.equal(await v.array(), [[1, 2], [3, 4]], 'the view still reads');
    v.dispose();
    assert.is(live(), before);
    assert.is(device.memory().buffers, buffers, 'the last owner frees the buffer');
  });

  test(`tidy frees what fn created and did not return ${on}`, async () => {
    const x = tensor([1, 2], { device });
    const before = live();
    const y = tidy(() => {
      const a = exp(x);
      const b = mul(a, a);
      return add(b, a);
    });
    assert.is(live(), before + 1, 'only the result survives');
    assertClose(await y.data(), [Math.E ** 2 + Math.E, Math.E ** 4 + Math.E ** 2]);
    assert.not.ok(x.isDisposed, 'inputs made outside are untouched');
  });

  test(`tidy returns arrays and objects of tensors, nests, and keep() exempts ${on}`, () => {
    const x = tensor([1, 2], { device });
    const before = live();
    let kept: Tensor | undefined;
    const { a, list } = tidy(() => {
      kept = keep(mul(x, 3));
      const inner = tidy(() => [add(x, 1), exp(x)][0]!);
      mul(inner, 2); // dropped
      return { a: inner, list: [exp(x)] };
    });
    assert.is(live(), before + 3, 'a, list[0] and the kept tensor');
    assert.not.ok(a.isDisposed);
    assert.not.ok(list[0]!.isDisposed);
    assert.not.ok(kept!.isDisposed);
  });

  test(`tidy cleans up when fn throws ${on}`, () => {
    const x = tensor([1], { device });
    const before = live();
    assert.throws(() =>
      tidy(() => {
        exp(x);
        throw new Error('boom');
      }),
    );
    assert.is(live(), before);
  });

  test(`tidyAsync and startScope/endScope ${on}`, async () => {
    const x = tensor([1, 2], { device });
    const before = live();
    const y = await tidyAsync(async () => {
      const e = exp(x);
      await e.data();
      return sum(e);
    });
    assert.is(live(), before + 1);
    assertClose([await y.item()], [Math.E + Math.E ** 2]);
    startScope();
    const z = add(x, x);
    add(z, z);
    endScope(z);
    assert.is(live(), before + 2, 'endScope keeps what it is given');
  });

  test(`a loop of tidy steps stays flat ${on}`, () => {
    let w = keep(ones([8, 8], { device }));
    const before = live();
    for (let step = 0; step < 20; step++) {
      const next = tidy(() => add(w, mul(exp(mul(w, -1)), 0.01)));
      w.dispose();
      w = keep(next);
    }
    assert.is(live(), before);
  });

  test(`memory() counts live tensors, buffers and bytes per device ${on}`, () => {
    const before = memory();
    const x = zeros([10, 10], { device });
    const v = reshape(x, [100]);
    const during = memory();
    assert.is(during.tensors, before.tensors + 2);
    assert.is(during.devices[device.name]!.tensors, (before.devices[device.name]?.tensors ?? 0) + 2);
    assert.is(during.devices[device.name]!.buffers, (before.devices[device.name]?.buffers ?? 0) + 1, 'a view shares its buffer');
    assert.ok(during.bytes >= before.bytes + 400, `bytes ${before.bytes} → ${during.bytes}`);
    x.dispose();
    v.dispose();
    assert.is(memory().tensors, before.tensors);
    assert.is(memory().devices[device.name]!.buffers, before.devices[device.name]?.buffers ?? 0);
  });

  test(`assign replaces the values and disposes the source ${on}`, async () => {
    const p = tensor([1, 2], { device });
    const q = tensor([5, 6], { device });
    const before = live();
    p.assign(q);
    assert.ok(q.isDisposed);
    assert.is(live(), before - 1);
    assert.equal(await p.array(), [5, 6]);
  });
}


test('memory() counts two devices of the same name together, not only the last one', async () => {
  const gpu = await testWebGpu();
  if (!gpu) return; // the CPU device is a singleton: only WebGPU can have two of one name
  const { requestWebGpuDevice } = await import('../../src/device/webgpu.js');
  const second = await requestWebGpuDevice();
  try {
    const onFirst = zeros([4], { device: gpu });
    const before = memory().devices[gpu.name]!;
    const onSecond = zeros([4], { device: second });
    const after = memory().devices[gpu.name]!;
    assert.is(second.name, gpu.name);
    assert.is(after.tensors, before.tensors + 1);
    assert.is(after.buffers, before.buffers + 1);
    onFirst.dispose();
    onSecond.dispose();
  } finally {
    second.dispose();
  }
});

test.run();
