// loadCheckpoint on crafted corrupt files: each is refused with a TensorLoopError that
// names the file and the problem, and neither the model nor the optimizer changes (a
// corrupt `extra` used to overwrite the weights and then throw a SyntaxError).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '../../src/nn/module.js';
import { glorotUniform, zerosInit } from '../../src/nn/initializers.js';
import { keep } from '../../src/memory.js';
import { type Tensor, tensor, randn } from '../../src/tensor.js';
import { add, square, sub } from '../../src/ops/elementwise.js';
import { matmul } from '../../src/ops/matmul.js';
import { mean } from '../../src/ops/reduce.js';
import { valueWithGradient } from '../../src/autodiff/gradients.js';
import { Adam } from '../../src/optim/index.js';
import { TensorLoopError } from '../../src/errors.js';
import { checkpointFromBytes, checkpointToBytes } from '../../src/io/checkpoint-format.js';
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
    return add(matmul(x, this.weight), this.bias);
  }
}

const x = randn([4, 3], { seed: 1 });
const y = randn([4, 2], { seed: 2 });
async function trained(seed: number, steps: number): Promise<[Tiny, Adam]> {
  const model = new Tiny(seed);
  const optimizer = new Adam(model, { learningRate: 0.01 });
  for (let i = 0; i < steps; i++) {
    const [, grads] = valueWithGradient(model, (m: Tiny) => mean(square(sub(m.forward(x), y))));
    optimizer.update(model, grads);
  }
  return [model, optimizer];
}

const dir = await mkdtemp(join(tmpdir(), 'tensorloop-corrupt-'));
const [source, sourceOptimizer] = await trained(1, 3);
const goodPath = join(dir, 'good.safetensors');
await saveCheckpoint(goodPath, { model: source, optimizer: sourceOptimizer, extra: { epoch: 3 } });
const good = new Uint8Array(await readFile(goodPath));

interface Parts {
  header: Record<string, any>;
  data: Uint8Array;
}

/** Splits a safetensors buffer into its parsed header and data section. */
function split(bytes: Uint8Array): Parts {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.slice(8 + n) };
}

/** Joins a header (as JSON text or bytes) and a data section into a safetensors buffer. */
function join8(header: string | Uint8Array, data: Uint8Array): Uint8Array {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** The good checkpoint with its header (and data) changed by `change`. */
function crafted(change: (parts: Parts) => void): Uint8Array {
  const parts = split(good);
  change(parts);
  return join8(JSON.stringify(parts.header), parts.data);
}

async function snapshot(model: Tiny, optimizer: Adam): Promise<unknown> {
  const state = optimizer.state();
  const tensors = await Promise.all(state.tensors.map(async ([name, t]) => [name, [...(await t.data())]]));
  const weights = await Promise.all([...model.namedParameters(), ...model.namedState()].map(async ([name, t]) => [name, [...(await t.data())]]));
  return { weights, step: state.step, learningRate: optimizer.learningRate, tensors };
}

const cases: [string, () => Uint8Array, RegExp][] = [
  ['extra that is not JSON', () => crafted((p) => void (p.header.__metadata__.extra = '{"epoch": 3')), /the 'extra' metadata is not valid JSON/],
  ['optimizer metadata that is not JSON', () => crafted((p) => void (p.header.__metadata__.optimizer = 'Adam')), /the 'optimizer' metadata is not valid JSON/],
  ['an optimizer of another type', () => crafted((p) => void (p.header.__metadata__.optimizer = p.header.__metadata__.optimizer.replace('"Adam"', '"SGD"'))), /optimizer metadata is of a SGD, the optimizer given is a Adam/],
  ['a negative optimizer step', () => crafted((p) => void (p.header.__metadata__.optimizer = p.header.__metadata__.optimizer.replace('"step":3', '"step":-1'))), /step -1/],
  ['a learning rate that is not a number', () => crafted((p) => void (p.header.__metadata__.optimizer = p.header.__metadata__.optimizer.replace(/"learningRate":[0-9.e-]+/, '"learningRate":"fast"'))), /hyperparameter learningRate = "fast"/],
  ['metadata that is not a string', () => crafted((p) => void (p.header.__metadata__.epoch = 3)), /__metadata__ 'epoch' is 3, not a string/],
  ['a newer format version', () => crafted((p) => void (p.header.__metadata__.version = '2')), /format version 2/],
  ['overlapping tensors', () => crafted((p) => void (p.header.runningMean.data_offsets = p.header.bias.data_offsets)), /overlaps tensor/],
  ['bytes that belong to no tensor', () => crafted((p) => void (p.data = Uint8Array.from([...p.data, 1, 2, 3, 4]))), /4 bytes after tensor '.*' belong to no tensor/],
  ['offsets past the end (truncated)', () => good.subarray(0, good.length - 4), /ends at byte \d+ of the data but the file holds \d+ \(truncated\)/],
  ['negative offsets', () => crafted((p) => void (p.header.bias.data_offsets = [-8, 0])), /'bias' has bad data_offsets \[-8,0\]/],
  ['an unsupported dtype', () => crafted((p) => void (p.header.bias.dtype = 'F16')), /'bias' has dtype F16; only F32 and I32/],
  ['a dtype the model does not have', () => crafted((p) => void (p.header.bias.dtype = 'I32')), /'bias' is int32 \[2\] in the file, the model has float32 \[2\]/],
  ['a shape the model does not have', () => crafted((p) => void (p.header.weight.shape = [2, 3])), /'weight' is float32 \[2,3\] in the file, the model has float32 \[3,2\]/],
  ['an optimizer slot of the wrong shape', () => crafted((p) => void (p.header['optimizer/m/weight'].shape = [6])), /'optimizer\/m\/weight' is float32 \[6\] in the file/],
  ['an optimizer slot the optimizer does not know', () => crafted((p) => {
    p.header['optimizer/velocity/bias'] = p.header['optimizer/m/bias'];
    delete p.header['optimizer/m/bias'];
  }), /Adam\.loadState: unknown state tensor 'velocity\/bias'/],
  ['an optimizer tensor of no parameter', () => crafted((p) => {
    p.header['optimizer/m/runningMean'] = p.header['optimizer/m/bias'];
    delete p.header['optimizer/m/bias'];
  }), /optimizer tensor 'optimizer\/m\/runningMean' belongs to no parameter/],
  ['a header length past the end', () => { const b = good.slice(); new DataView(b.buffer).setBigUint64(0, 1n << 40n, true); return b; }, /header of \d+ bytes does not fit/],
  ['a header that is not JSON', () => join8('{"weight": ', split(good).data), /header is not valid JSON/],
  ['a header that is not UTF-8', () => join8(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]), split(good).data), /header is not valid JSON/],
  ['a header that is a list', () => join8('[1, 2]', split(good).data), /header is not a JSON object/],
  ['a tensor entry that is not an object', () => crafted((p) => void (p.header.bias = 5)), /tensor 'bias' has no \{dtype, shape, data_offsets\} entry/],
  ['a file of 3 bytes', () => Uint8Array.from([1, 2, 3]), /file is truncated \(3 bytes/],
];

for (const [what, make, problem] of cases) {
  test(`loadCheckpoint refuses ${what}, naming the file, and changes nothing`, async () => {
    const path = join(dir, `${what.replace(/\W+/g, '-')}.safetensors`);
    await writeFile(path, make());
    const [model, optimizer] = await trained(7, 2);
    const before = await snapshot(model, optimizer);
    let error: unknown;
    await loadCheckpoint(path, { model, optimizer }).catch((e: unknown) => (error = e));
    assert.instance(error, TensorLoopError, `got ${String(error)}`);
    const message = (error as Error).message;
    assert.ok(message.startsWith(`loadCheckpoint ${path}: `), message);
    assert.match(message, problem);
    assert.equal(await snapshot(model, optimizer), before, 'the model and optimizer are unchanged');
  });
}

test('the good file loads (so each refusal above is the change it carries)', async () => {
  const [model, optimizer] = await trained(7, 2);
  const { extra } = await loadCheckpoint(goodPath, { model, optimizer });
  assert.equal(extra, { epoch: 3 });
  assert.equal(await snapshot(model, optimizer), await snapshot(source, sourceOptimizer));
});

test('checkpointToBytes / checkpointFromBytes: the same checkpoint without files, checked the same way', async () => {
  const bytes = await checkpointToBytes({ model: source, optimizer: sourceOptimizer, extra: [1, 'two'] });
  const [model, optimizer] = await trained(9, 1);
  assert.equal(checkpointFromBytes(bytes, { model, optimizer }).extra, [1, 'two']);
  assert.equal(await snapshot(model, optimizer), await snapshot(source, sourceOptimizer));
  const [other, otherOptimizer] = await trained(9, 1);
  const before = await snapshot(other, otherOptimizer);
  assert.throws(() => checkpointFromBytes(bytes.subarray(0, 100), { model: other, optimizer: otherOptimizer }), (e: Error) => e instanceof TensorLoopError && /^checkpointFromBytes: /.test(e.message));
  assert.equal(await snapshot(other, otherOptimizer), before);
});

test('saveCheckpoint refuses an extra that JSON cannot hold, writing nothing', async () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const path = join(dir, 'cyclic.safetensors');
  let error: unknown;
  await saveCheckpoint(path, { model: source, extra: cyclic }).catch((e: unknown) => (error = e));
  assert.instance(error, TensorLoopError);
  assert.match((error as Error).message, /^saveCheckpoint: extra cannot be written as JSON/);
  await saveCheckpoint(path, { model: source, extra: 10n as unknown }).catch((e: unknown) => (error = e));
  assert.match((error as Error).message, /^saveCheckpoint: extra cannot be written as JSON/);
  await readFile(path).then(() => assert.unreachable('a file was written'), () => undefined);
});

test('checkpoint functions reject unknown options and bad paths', async () => {
  const loose = (o: object): any => o;
  await saveCheckpoint(join(dir, 'x.safetensors'), loose({ model: source, optimiser: sourceOptimizer })).then(
    () => assert.unreachable('accepted optimiser'),
    (e: Error) => assert.match(e.message, /^saveCheckpoint: unknown option 'optimiser' \(did you mean 'optimizer'\?\)/),
  );
  await loadCheckpoint(goodPath, loose({ model: source, strickt: false })).then(
    () => assert.unreachable('accepted strickt'),
    (e: Error) => assert.match(e.message, /^loadCheckpoint: unknown option 'strickt'/),
  );
  await loadCheckpoint(undefined as unknown as string, { model: source }).then(
    () => assert.unreachable('accepted no path'),
    (e: Error) => assert.ok(e instanceof TensorLoopError && /^loadCheckpoint: path must be/.test(e.message), e.message),
  );
});

test.run();
