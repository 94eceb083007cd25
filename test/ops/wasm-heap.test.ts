// CPU tensors in the WebAssembly heap (src/device/wasm/heap.ts): where they live, that
// kernels read them in place and write their results in place without touching their
// neighbours, that plain-array operands give the same results, that views stay valid when
// the memory grows, that blocks are reused and counted; and the optimizer updates that run
// in place there (src/kernels/wasm/optim.ts), exactly as their float64 reference loops.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type CpuStorage, cpu } from '../../src/device/cpu.js';
import { WasmHeap, wasmHeap } from '../../src/device/wasm/heap.js';
import { cpuData, cpuTensor } from '../../src/kernels/kernel.js';
import { biasActivationKernel } from '../../src/kernels/bias-activation.js';
import { binaryKernel } from '../../src/kernels/elementwise.js';
import { matmulKernel } from '../../src/kernels/matmul.js';
import { wasmKernels } from '../../src/kernels/wasm/module.js';
import { type AdamUpdateHyperparameters, type SGDUpdateHyperparameters, adamUpdateKernel, sgdUpdateKernel } from '../../src/kernels/optim.js';
import { type Tensor, fromData } from '../../src/tensor.js';

const heap = wasmHeap()!;
assert.ok(heap, 'Node has a shared WebAssembly heap');

function values(size: number, seed: number, special = 0): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  const specials = [NaN, Infinity, -Infinity, -0, 0];
  for (let j = 0; j < special; j++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[s % size] = specials[j % specials.length]!;
  }
  return out;
}

const address = (t: Tensor) => (t.storage as CpuStorage).address;

/** Bit-identical, NaN payloads aside (-0 and +0 told apart). */
function assertSame(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)))) assert.unreachable(`${what}: element ${i} is ${a}, the reference ${e}`);
  }
}

test('tensors of 4 KiB and more live in the heap, smaller ones are plain arrays; reads are copies', async () => {
  const big = fromData(values(1024, 1), [1024], cpu);
  const small = fromData(values(1023, 2), [1023], cpu);
  assert.ok(address(big) >= 0, 'a 4 KiB tensor is in the heap');
  assert.is(address(small), -1, 'a smaller one is not');
  assert.ok(cpuData(big).buffer === heap.memory.buffer || cpuData(big).buffer instanceof SharedArrayBuffer);
  const copy = await big.data();
  assert.ok(copy.buffer instanceof ArrayBuffer, 'data() hands out an unshared copy');
  copy[0] = 42;
  assert.is.not(cpuData(big)[0], 42);
  big.dispose();
  small.dispose();
});

test('released blocks are reused, and memory() counts the live tensors', () => {
  const before = cpu.memory();
  const blocksBefore = heap.stats().blocks;
  const a = cpu.allocate('float32', 5000);
  const at = (a as CpuStorage).address;
  assert.equal(cpu.memory(), { buffers: before.buffers + 1, bytes: before.bytes + 20000 });
  (a as CpuStorage).data.fill(7);
  cpu.release(a);
  assert.equal(cpu.memory(), before);
  assert.is(heap.stats().blocks, blocksBefore);
  const b = cpu.allocate('float32', 5000);
  assert.is((b as CpuStorage).address, at, 'the freed block comes back for the same size');
  assert.ok((b as CpuStorage).data.every((v) => v === 0), 'allocate zero-fills a reused block');
  cpu.release(b);
});

test('views made before the memory grows keep their values and stay writable', () => {
  const first = fromData(values(4096, 3), [4096], cpu);
  const expected = values(4096, 3);
  const pagesBefore = heap.memory.buffer.byteLength;
  const grow = Array.from({ length: 4 }, () => cpu.allocate('float32', (heap.memory.buffer.byteLength / 4) | 0));
  assert.ok(heap.memory.buffer.byteLength > pagesBefore, 'the memory grew');
  assertSame(cpuData(first) as Float32Array, expected, 'the tensor made before the grow');
  (cpuData(first) as Float32Array)[7] = 0.5;
  assert.is(heap.f32()[address(first) / 4 + 7], 0.5, 'a write through the old view lands in the memory');
  grow.forEach((s) => cpu.release(s));
  first.dispose();
});

test('a full heap hands out -1 (the device then falls back to a plain array)', () => {
  const memory = new (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => WasmHeap['memory'] } }).WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
  const small = new WasmHeap(memory, 2);
  assert.ok(small.allocate(60_000) >= 0);
  assert.ok(small.allocate(60_000) >= 0, 'grows to the second page');
  assert.is(small.allocate(60_000), -1, 'past the maximum');
  assert.throws(() => small.release(12345), /not an allocated block/);
});

test('kernels write their result in place, exactly their elements: a neighbouring block is untouched', () => {
  const [m, n, k] = [37, 29, 40]; // 1,073 results: a block larger than the tensor, an overhanging tile
  const a = fromData(values(m * k, 4), [1, m, k], cpu);
  const b = fromData(values(k * n, 5), [1, k, n], cpu);
  const info = { batch: 1, m, n, k, transposeA: false, transposeB: false };
  // a block of the result's size class, then a sentinel right after it; free the first so
  // the result reuses it. A kernel call first returns the previous call's scratch blocks to
  // the free lists (an earlier test's copied operands may be of this size class and would
  // be handed out before the slot): that happens here, before the slot is freed.
  wasmKernels()!.reset();
  const slot = cpu.allocate('float32', m * n);
  const sentinel = cpu.allocate('float32', m * n);
  (sentinel as CpuStorage).data.fill(-7);
  cpu.release(slot);
  const c = matmulKernel.wasm!(a, b, info)!;
  assert.is(address(c), (slot as CpuStorage).address, 'the result took the freed block');
  assert.ok((sentinel as CpuStorage).data.every((v) => v === -7), 'the next block is untouched');
  cpu.release(sentinel);
  for (const t of [a, b, c]) t.dispose();
});

test('plain-array operands (copied into scratch) give the heap operands\u2019 results', () => {
  const plain = (t: Tensor) => cpuTensor(Float32Array.from(cpuData(t)), t.shape);
  for (const [transposeA, transposeB] of [[false, false], [true, true]] as const) {
    const [m, n, k] = [33, 70, 65];
    const a = fromData(values(m * k, 6), transposeA ? [1, k, m] : [1, m, k], cpu);
    const b = fromData(values(k * n, 7), transposeB ? [1, n, k] : [1, k, n], cpu);
    assert.is(address(plain(a)), -1);
    const info = { batch: 1, m, n, k, transposeA, transposeB };
    assertSame(cpuData(matmulKernel.wasm!(plain(a), plain(b), info)!) as Float32Array, cpuData(matmulKernel.wasm!(a, b, info)!) as Float32Array, `matmul ${transposeA} ${transposeB}`);
  }
  const x = fromData(values(4096, 8, 9), [4096], cpu);
  const y = fromData(values(4096, 9, 9), [4096], cpu);
  assertSame(cpuData(binaryKernel.wasm!('mul', plain(x), plain(y), [4096], 'float32')!) as Float32Array, cpuData(binaryKernel.cpu('mul', x, y, [4096], 'float32')) as Float32Array, 'mul');
  const bias = fromData(values(64, 10), [64], cpu);
  assertSame(cpuData(biasActivationKernel.wasm!(plain(x).view([64, 64]), bias, 'relu')!) as Float32Array, cpuData(biasActivationKernel.cpu(x.view([64, 64]), bias, 'relu')) as Float32Array, 'bias + relu');
});

/** Runs `update` on fresh copies of the same state through the wasm path and the
 * reference, and compares every tensor it updates bit for bit. */
function compareUpdate(what: string, size: number, slots: number, update: (path: 'wasm' | 'cpu', param: Tensor, grad: Tensor, state: Tensor[]) => Tensor | null): void {
  const make = () => ({
    param: fromData(values(size, 20, 12), [size], cpu),
    grad: fromData(values(size, 21, 12), [size], cpu),
    state: Array.from({ length: slots }, (_, i) => fromData(values(size, 22 + i, 5).map(Math.abs), [size], cpu)),
  });
  const fast = make();
  const reference = make();
  for (let step = 0; step < 2; step++) {
    assert.ok(update('wasm', fast.param, fast.grad, fast.state), `${what}: the wasm path takes size ${size}`);
    update('cpu', reference.param, reference.grad, reference.state);
  }
  assertSame(cpuData(fast.param) as Float32Array, cpuData(reference.param) as Float32Array, `${what} size ${size}: parameter`);
  fast.state.forEach((s, i) => assertSame(cpuData(s) as Float32Array, cpuData(reference.state[i]!) as Float32Array, `${what} size ${size}: state ${i}`));
}

test('SGD update (plain, momentum, Nesterov, weight decay) in place, exactly as the float64 reference', () => {
  for (const size of [1024, 1031, 40_001]) {
    for (const [momentum, nesterov, weightDecay] of [[0, false, 0], [0, false, 1e-3], [0.9, false, 0], [0.9, true, 5e-4]] as const) {
      const h: SGDUpdateHyperparameters = { learningRate: 0.05, momentum, nesterov, weightDecay };
      compareUpdate(`sgd ${JSON.stringify(h)}`, size, momentum ? 1 : 0, (path, p, g, [b]) => sgdUpdateKernel[path]!(p, g, b ?? null, h));
    }
  }
  const plainParam = cpuTensor(values(2048, 1), [2048]);
  assert.is(sgdUpdateKernel.wasm!(plainParam, fromData(values(2048, 2), [2048], cpu), null, { learningRate: 0.1, momentum: 0, nesterov: false, weightDecay: 0 }), null, 'a parameter outside the heap stays on the reference');
});

test('Adam update (L2 and decoupled decay) in place, exactly as the float64 reference', () => {
  for (const size of [1024, 3001]) {
    for (const [weightDecay, decoupled] of [[0, false], [1e-2, false], [1e-2, true]] as const) {
      const h: AdamUpdateHyperparameters = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay, decoupled, step: 3 };
      compareUpdate(`adam ${JSON.stringify(h)}`, size, 2, (path, p, g, [m, v]) => adamUpdateKernel[path]!(p, g, m!, v!, h));
    }
  }
});

test.run();
