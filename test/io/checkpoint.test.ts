// Checkpoints: the safetensors layout byte by byte, a bit-exact round trip of model and
// optimizer state, a resumed run that continues with exactly the losses of an
// uninterrupted one, and clear errors for missing, mismatched and truncated tensors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '../../src/nn/module.js';
import { glorotUniform, zerosInit } from '../../src/nn/initializers.js';
import { keep } from '../../src/memory.js';
import { type Tensor, tensor, randn } from '../../src/tensor.js';
import { add, square, sub, tanh } from '../../src/ops/elementwise.js';
import { matmul } from '../../src/ops/matmul.js';
import { mean as reduceMean } from '../../src/ops/reduce.js';
import { valueWithGradient } from '../../src/autodiff/gradients.js';
import { Adam } from '../../src/optim/index.js';
import { TensorLoopError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint.js';


class Tiny extends Module {
  weight: Tensor;
  bias: Tensor;
  runningMean = keep(tensor([0.25, -0.5]));
  protected override readonly stateNames = new Set(['runningMean']);
  constructor(seed: number) {
    super();
    this.weight = glorotUniform([3, 2], { seed });
    this.bias = zerosInit([2]);
  }
  forward(x: Tensor): Tensor {
    return tanh(add(matmul(x, this.weight), this.bias));
  }
}

const x = randn([4, 3], { seed: 1 });
const y = randn([4, 2], { seed: 2 });
const lossOf = (m: Tiny): Tensor => reduceMean(square(sub(m.forward(x), y)));

async function train(model: Tiny, opt: Adam, steps: number): Promise<number[]> {
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const [loss, grads] = valueWithGradient(model, lossOf);
    losses.push(await loss.item());
    opt.update(model, grads);
  }
  return losses;
}

const dir = await mkdtemp(join(tmpdir(), 'tensorloop-ckpt-'));
const isLoopError = (pattern: RegExp) => (e: Error) => e instanceof TensorLoopError && pattern.test(e.message);

test('safetensors layout: u64 LE header length, space-padded JSON header, raw LE data', () => {
  const bytes = encodeSafetensors([['a', { dtype: 'float32', shape: [2], data: new Float32Array([1, -2]) }], ['b', { dtype: 'int32', shape: [], data: new Int32Array([7]) }]], { k: 'v' });
  const view = new DataView(bytes.buffer);
  const n = Number(view.getBigUint64(0, true));
  assert.is(n % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.equal(header, { __metadata__: { k: 'v' }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'I32', shape: [], data_offsets: [8, 12] } });
  assert.is(bytes.length, 8 + n + 12);
  assert.is(view.getFloat32(8 + n + 4, true), -2);
  assert.is(view.getInt32(8 + n + 8, true), 7);
  const back = decodeSafetensors(bytes);
  assert.equal([...back.tensors.get('a')!.data], [1, -2]);
  assert.equal(back.metadata, { k: 'v' });
});

test('round trip is bit-exact for parameters, state and optimizer moments', async () => {
  const model = new Tiny(3);
  const opt = new Adam(model, { learningRate: 0.01 });
  await train(model, opt, 3);
  const path = join(dir, 'sub', 'a.safetensors');
  await saveCheckpoint(path, { model, optimizer: opt, extra: { epoch: 3, note: 'hi' } });
  const copy = new Tiny(99);
  const copyOpt = new Adam(copy, { learningRate: 0.5, beta1: 0.5, beta2: 0.9 });
  const { extra } = await loadCheckpoint(path, { model: copy, optimizer: copyOpt });
  assert.equal(extra, { epoch: 3, note: 'hi' });
  for (const [[name, a], [, b]] of [...model.namedParameters(), ...model.namedState()].map((p, i) => [p, [...copy.namedParameters(), ...copy.namedState()][i]!] as const)) {
    assert.equal(bytesOf(await b.data()), bytesOf(await a.data()), name);
  }
  const sa = opt.state();
  const sb = copyOpt.state();
  assert.is(sb.step, 3);
  assert.is(sb.hyperparameters.learningRate, 0.01);
  assert.equal([sb.hyperparameters.beta1, sb.hyperparameters.beta2], [0.9, 0.999], 'the betas come back too');
  assert.equal(sb.tensors.map(([n]) => n).sort(), sa.tensors.map(([n]) => n).sort());
  for (const [name, t] of sa.tensors) assert.equal(await sb.tensors.find(([n]) => n === name)![1].data(), await t.data(), name);
  assert.equal((await readdir(join(dir, 'sub'))).filter((f) => f.includes('.tmp-')), [], 'no temporary file is left');
});

test('a run resumed from a checkpoint continues with exactly the uninterrupted losses', async () => {
  const straight = new Tiny(5);
  const straightLosses = await train(straight, new Adam(straight, { learningRate: 0.05 }), 8);
  const first = new Tiny(5);
  const firstOpt = new Adam(first, { learningRate: 0.05 });
  const before = await train(first, firstOpt, 4);
  const path = join(dir, 'resume.safetensors');
  await saveCheckpoint(path, { model: first, optimizer: firstOpt });
  const resumed = new Tiny(123);
  const resumedOpt = new Adam(resumed, { learningRate: 0.05 });
  await loadCheckpoint(path, { model: resumed, optimizer: resumedOpt });
  const after = await train(resumed, resumedOpt, 4);
  assert.equal([...before, ...after], straightLosses);
});

test('missing tensor, different shape, unexpected tensor and truncated file name the tensor', async () => {
  const model = new Tiny(1);
  const path = join(dir, 'b.safetensors');
  await saveCheckpoint(path, { model });
  const bytes = await readFile(path);
  const truncated = join(dir, 'truncated.safetensors');
  await writeFile(truncated, bytes.subarray(0, bytes.length - 4));
  await assertRejects(loadCheckpoint(truncated, { model: new Tiny(2) }), isLoopError(/'runningMean'.*truncated/));
  class Wider extends Tiny {
    extraWeight = glorotUniform([2, 2], { seed: 1 });
  }
  await assertRejects(loadCheckpoint(path, { model: new Wider(2) }), isLoopError(/missing tensor 'extraWeight' \[2,2\]/));
  class Other extends Module {
    weight = glorotUniform([3, 3], { seed: 1 });
    forward(t: Tensor): Tensor {
      return t;
    }
  }
  const other = new Other();
  const original = await other.weight.data();
  await assertRejects(loadCheckpoint(path, { model: other }), isLoopError(/'weight' is float32 \[3,2\] in the file, the model has float32 \[3,3\]/));
  assert.equal(await other.weight.data(), original, 'nothing changed');
  await saveCheckpoint(path, { model: new Wider(3) });
  await assertRejects(loadCheckpoint(path, { model: new Tiny(2) }), isLoopError(/unexpected tensor 'extraWeight'/));
  await loadCheckpoint(path, { model: new Tiny(2), strict: false });
  await assertRejects(loadCheckpoint(path, { model: new Tiny(2), optimizer: new Adam(new Tiny(2)), strict: false }), isLoopError(/no optimizer state/));
  await assertRejects(loadCheckpoint(join(dir, 'nope.safetensors'), { model }), isLoopError(/cannot read/));
});

async function assertRejects(promise: Promise<unknown>, check: (e: Error) => boolean): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.ok(check(error as Error), `unexpected error: ${(error as Error).message}`);
    return;
  }
  assert.unreachable('expected a rejection');
}

test.run();

function bytesOf(data: Float32Array | Int32Array): number[] {
  return [...new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
}
