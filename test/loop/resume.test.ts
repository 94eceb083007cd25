// Exact resume: 2 epochs, a checkpoint, then a fresh process-like start (new model,
// optimizer, data and Dropout with other seeds) resumed for the third epoch gives the same
// per-batch losses and final weights, bit for bit, as 3 straight epochs; also from a
// checkpoint written when the fit was stopped in the middle of an epoch. With shuffling
// (TrainingEpochs), Dropout, Adam and a one-cycle schedule. Bad checkpoints change nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpu } from '../../src/device/cpu.js';
import { ImageSamples } from '../../src/data/samples.js';
import { TrainingEpochs, inBatches } from '../../src/data/epochs.js';
import { TensorLoopError } from '../../src/errors.js';
import { TrainingLoop } from '../../src/loop/training-loop.js';
import { TrainingLoopAction } from '../../src/loop/actions.js';
import { modelCheckpoint } from '../../src/loop/callbacks/model-checkpoint.js';
import { CSVLogger } from '../../src/loop/callbacks/csv-logger.js';
import { oneCycle } from '../../src/loop/callbacks/one-cycle.js';
import { type EarlyStopping, earlyStopping } from '../../src/loop/callbacks/early-stopping.js';
import { type ReduceLearningRateOnPlateau, reduceLearningRateOnPlateau } from '../../src/loop/callbacks/reduce-lr-on-plateau.js';
import type { TrainingLoopState } from '../../src/loop/state.js';
import { softmaxCrossEntropy } from '../../src/losses/index.js';
import { Dense, Dropout, Sequential } from '../../src/nn/index.js';
import { Adam } from '../../src/optim/index.js';
import { Random } from '../../src/random.js';
import { parameterValues } from './helpers.js';
import { testWebGpu } from '../helpers/devices.js';
import type { Device } from '../../src/device/device.js';

/** Awaits `run` and checks that it threw an error `check` accepts. */
async function rejects(run: () => Promise<unknown>, check: RegExp | ((e: Error) => boolean), label = ''): Promise<void> {
  let error: Error | undefined;
  try {
    await run();
  } catch (e) {
    error = e as Error;
  }
  assert.ok(error, `expected an error ${label}`);
  assert.ok(typeof check === 'function' ? check(error!) : check.test(error!.message), `${label}: ${error!.message}`);
}

const dir = await mkdtemp(join(tmpdir(), 'tensorloop-resume-'));

function samples(count: number, seed: number, device: Device = cpu): ImageSamples {
  const random = new Random(seed);
  const pixels = Uint8Array.from({ length: count * 4 }, () => random.int(256));
  const labels = Uint8Array.from({ length: count }, (_, i) => [0, 1, 2].reduce((best, j) => (pixels[i * 4 + j]! > pixels[i * 4 + best]! ? j : best), 0));
  return new ImageSamples(pixels, labels, [4], device);
}

/** One run's pieces; `seed` changes every random start (weights, shuffles, Dropout). */
function setup(seed: number, callbacks: object[] = [], options: { schedule?: boolean; accumulateGradients?: number; device?: Device } = {}) {
  const device = options.device ?? cpu;
  const model = new Sequential(new Dense(4, 16, { activation: 'relu', seed, device }), new Dropout(0.3, { seed: seed + 1 }), new Dense(16, 3, { seed: seed + 2, device }));
  const training = new TrainingEpochs(samples(40, 1, device), { batchSize: 8, seed: seed + 3 });
  const losses: number[] = [];
  const rates: number[] = [];
  const record = async (loop: TrainingLoopState, event: string): Promise<void> => {
    if (event !== 'batchEnd' || !loop.isTraining || !loop.lastStepLoss) return;
    losses.push((await loop.lastStepLoss.data())[0]!);
    rates.push(loop.optimizer.learningRate);
  };
  const loop = new TrainingLoop({
    training,
    validation: inBatches(samples(12, 2, device), 8),
    optimizer: new Adam(model, { learningRate: 0.01 }),
    lossFunction: softmaxCrossEntropy,
    metrics: ['accuracy'],
    callbacks: [...(options.schedule === false ? [] : [oneCycle({ maxRate: 0.05 })]), record, ...callbacks],
    progress: false,
    accumulateGradients: options.accumulateGradients ?? 1,
  });
  return { model, training, loop, losses, rates };
}

const straight = setup(10);
await straight.loop.fit(straight.model, { epochs: 3 });
const straightWeights = await parameterValues(straight.model);

test('2 epochs, a checkpoint, and a resumed third epoch equal 3 straight epochs bit for bit', async () => {
  assert.is(straight.losses.length, 15);
  const folder = join(dir, 'epochs');
  const stopAfterTwo = (loop: TrainingLoopState, event: string): void => {
    if (event === 'epochEnd' && loop.epochIndex === 1) throw TrainingLoopAction.cancelFit;
  };
  const csv = join(dir, 'epochs.csv');
  const first = setup(10, [modelCheckpoint({ dir: folder, log: () => {} }), new CSVLogger({ path: csv }), stopAfterTwo]);
  await first.loop.fit(first.model, { epochs: 3 });
  assert.equal(await readdir(folder), ['epoch-001.safetensors', 'epoch-002.safetensors']);

  const second = setup(77, [new CSVLogger({ path: csv, append: true })]); // other seeds everywhere: the checkpoint must set them all
  assert.not.equal(await parameterValues(second.model), await parameterValues(first.model));
  const history = await second.loop.fit(second.model, { epochs: 3, resumeFrom: join(folder, 'epoch-002.safetensors') });
  assert.equal(history.epochs, [2]);
  assert.is(second.loop.globalStep, 15);
  assert.equal([...first.losses, ...second.losses], straight.losses);
  assert.equal(await parameterValues(second.model), straightWeights);
  const rows = (await readFile(csv, 'utf8')).trim().split('\n');
  assert.is(rows.filter((r) => r.startsWith('epoch,')).length, 1, 'one header: the resumed logger appends');
  assert.equal(rows.filter((r) => r.includes(',train,')).map((r) => r.split(',')[0]), [...'111112222233333']);
});

test('a fit stopped in the middle of an epoch saves where it stood, and resuming from there is exact', async () => {
  const folder = join(dir, 'stopped');
  const messages: string[] = [];
  const stopInEpochTwo = (loop: TrainingLoopState & { requestStop(): void }, event: string): void => {
    if (event === 'batchEnd' && loop.isTraining && loop.epochIndex === 1 && loop.batchIndex === 2) loop.requestStop();
  };
  const first = setup(10, [modelCheckpoint({ dir: folder, log: (m) => messages.push(m) }), stopInEpochTwo]);
  const trace: string[] = [];
  await first.loop.fit(first.model, { epochs: 3, callbacks: [(_: TrainingLoopState, event: string) => void trace.push(event)] });
  assert.is(first.losses.length, 8, 'epoch 1 and 3 batches of epoch 2');
  assert.equal(trace.slice(-4), ['batchEnd', 'trainingEnd', 'epochEnd', 'fitEnd'], 'the end events fire, validation is skipped');
  const saved = join(folder, 'epoch-002-interrupted.safetensors');
  assert.equal(await readdir(folder), ['epoch-001.safetensors', 'epoch-002-interrupted.safetensors']);
  assert.match(messages.at(-1)!, /Stopped in epoch 2\/3 after training batch 3; saved .*epoch-002-interrupted\.safetensors\. To continue: loop\.fit\(model, \{epochs: 3, resumeFrom: ".*epoch-002-interrupted\.safetensors"\}\)/);

  const second = setup(55);
  await second.loop.fit(second.model, { epochs: 3, resumeFrom: saved });
  assert.equal([...first.losses, ...second.losses], straight.losses);
  assert.equal(await parameterValues(second.model), straightWeights);
});

test('a stop before the first batch of a later fit saves nothing (no stale position of the earlier fit)', async () => {
  const folder = join(dir, 'early-stop');
  const a = setup(10, [modelCheckpoint({ dir: folder, log: () => {} })]);
  await a.loop.fit(a.model, { epochs: 1 });
  const stopAtOnce = (loop: TrainingLoopState, event: string): void => {
    if (event === 'fitStart') loop.requestStop?.();
  };
  const history = await a.loop.fit(a.model, { epochs: 1, callbacks: [stopAtOnce] });
  assert.is(history.epochCount, 0);
  assert.equal(await readdir(folder), ['epoch-001.safetensors']);
});

test('with accumulated gradients a stop waits for the end of the group, and resuming from it is exact', async () => {
  const together = setup(10, [], { accumulateGradients: 2 });
  await together.loop.fit(together.model, { epochs: 3 });
  const folder = join(dir, 'accumulated');
  const stopAtThirdBatch = (loop: TrainingLoopState & { requestStop(): void }, event: string): void => {
    if (event === 'batchEnd' && loop.isTraining && loop.epochIndex === 1 && loop.batchIndex === 2) loop.requestStop();
  };
  const first = setup(10, [modelCheckpoint({ dir: folder, log: () => {} }), stopAtThirdBatch], { accumulateGradients: 2 });
  await first.loop.fit(first.model, { epochs: 3 });
  assert.is(first.losses.length, 5 + 4, 'batches 2 and 3 form a group: the stop comes after batch 3');
  const second = setup(21, [], { accumulateGradients: 2 });
  await second.loop.fit(second.model, { epochs: 3, resumeFrom: join(folder, 'epoch-002-interrupted.safetensors') });
  assert.equal([...first.losses, ...second.losses], together.losses);
  assert.equal(await parameterValues(second.model), await parameterValues(together.model));
});

test("callbacks' state (reduceLearningRateOnPlateau, earlyStopping) resumes too, whatever the callback order", async () => {
  // the training loss falls every epoch, so in max mode epoch 1 is the best and each later
  // epoch adds to the patience count: the rate is cut at the end of epoch 3, which the 4th
  // epoch's losses show; a resumed run that forgot the count would not cut it
  const callbacks = (): [ReduceLearningRateOnPlateau, EarlyStopping] => [
    reduceLearningRateOnPlateau({ monitor: 'training.loss', mode: 'max', patience: 2, factor: 0.5, log: () => {} }),
    earlyStopping({ monitor: 'training.loss', mode: 'max', patience: 10, log: () => {} }),
  ];
  const plain = setup(10, callbacks(), { schedule: false });
  await plain.loop.fit(plain.model, { epochs: 4 });
  assert.is(plain.rates.at(-1), 0.005, 'the straight run cut the rate once');
  const folder = join(dir, 'callback-state');
  const stopAfterTwo = (loop: TrainingLoopState, event: string): void => {
    if (event === 'epochEnd' && loop.epochIndex === 1) throw TrainingLoopAction.cancelFit;
  };
  // modelCheckpoint first: its file must still hold the state the others reach at epochEnd
  const first = setup(10, [modelCheckpoint({ dir: folder, log: () => {} }), ...callbacks(), stopAfterTwo], { schedule: false });
  await first.loop.fit(first.model, { epochs: 4 });
  const [reduce, stop] = callbacks();
  const second = setup(44, [reduce, stop], { schedule: false });
  await second.loop.fit(second.model, { epochs: 4, resumeFrom: join(folder, 'epoch-002.safetensors') });
  assert.equal([...first.losses, ...second.losses], plain.losses);
  assert.equal(await parameterValues(second.model), await parameterValues(plain.model));
  assert.is(stop.bestEpoch, 0);
});

test('a bad, corrupt or mismatched checkpoint is a TensorLoopError and changes nothing', async () => {
  const folder = join(dir, 'bad');
  const first = setup(10, [modelCheckpoint({ path: join(folder, 'run.safetensors'), log: () => {} })]);
  await first.loop.fit(first.model, { epochs: 1 });
  const good = await readFile(join(folder, 'run.safetensors'));
  const truncated = join(folder, 'truncated.safetensors');
  await writeFile(truncated, good.subarray(0, good.length - 10));
  const flipped = Buffer.from(good);
  flipped.write('{', 9); // breaks the JSON header
  const broken = join(folder, 'broken.safetensors');
  await writeFile(broken, flipped);

  const target = setup(33);
  const other = setup(34);
  const otherFile = join(folder, 'wide.safetensors');
  const wideModel = new Sequential(new Dense(4, 32, { seed: 1, device: cpu }), new Dropout(0.3, { seed: 2 }), new Dense(32, 3, { seed: 3, device: cpu }));
  const wide = new TrainingLoop({
    training: new TrainingEpochs(samples(40, 1), { batchSize: 8 }),
    validation: inBatches(samples(12, 2), 8),
    optimizer: new Adam(wideModel),
    lossFunction: softmaxCrossEntropy,
    progress: false,
    callbacks: [modelCheckpoint({ path: otherFile, log: () => {} })],
  });
  await wide.fit(wideModel, { epochs: 1 });
  const noResume = join(folder, 'plain.safetensors');
  const { saveCheckpoint } = await import('../../src/io/checkpoint.js');
  await saveCheckpoint(noResume, { model: other.model, optimizer: other.loop.optimizer as Adam });

  const weights = await parameterValues(target.model);
  const data = JSON.stringify(target.training.state());
  const dropout = (target.model.layers[1] as Dropout).randomState();
  const step = (target.loop.optimizer as Adam).step;
  for (const [file, message] of [
    [join(folder, 'missing.safetensors'), /cannot read the file/],
    [truncated, /resumeFrom .*truncated/],
    [broken, /resumeFrom .*broken/],
    [otherFile, /tensor 'layers\.0\.weight' is float32 \[4,32\] in the file, the model has float32 \[4,16\]/],
    [noResume, /holds no resume state/],
  ] as const) {
    await rejects(
      () => target.loop.fit(target.model, { epochs: 3, resumeFrom: file }),
      (e: Error) => e instanceof TensorLoopError && message.test(e.message),
      file,
    );
    assert.equal(await parameterValues(target.model), weights, file);
    assert.is(JSON.stringify(target.training.state()), data, file);
    assert.is((target.model.layers[1] as Dropout).randomState(), dropout, file);
    assert.is((target.loop.optimizer as Adam).step, step, file);
  }
  await rejects(() => target.loop.fit(target.model, { epochs: 3, resumeFrom: join(folder, 'run.safetensors'), initialEpoch: 1 }), /not both/);
  // the same model, but a dataset of another size: its shuffle state does not fit
  const otherData = new TrainingLoop({ training: new TrainingEpochs(samples(48, 1), { batchSize: 8 }), validation: inBatches(samples(12, 2), 8), optimizer: new Adam(target.model), lossFunction: softmaxCrossEntropy, progress: false });
  const otherState = JSON.stringify((otherData.training as TrainingEpochs).state());
  await rejects(() => otherData.fit(target.model, { epochs: 3, resumeFrom: join(folder, 'run.safetensors') }), /the saved order has 40 sample indices, this dataset 48 samples/);
  assert.is(JSON.stringify((otherData.training as TrainingEpochs).state()), otherState);
  assert.equal(await parameterValues(target.model), weights);
  // a model without the Dropout layer: the random streams do not match
  const noDropout = new Sequential(new Dense(4, 16, { activation: 'relu', seed: 1, device: cpu }), new Dense(16, 3, { seed: 2, device: cpu }));
  const plainLoop = new TrainingLoop({ training: new TrainingEpochs(samples(40, 1), { batchSize: 8 }), validation: inBatches(samples(12, 2), 8), optimizer: new Adam(noDropout), lossFunction: softmaxCrossEntropy, progress: false });
  await rejects(() => plainLoop.fit(noDropout, { epochs: 3, resumeFrom: join(folder, 'run.safetensors') }), /random streams of modules 'layers\.1', the model has none/);
  await rejects(() => target.loop.fit(target.model, { epochs: 0, resumeFrom: join(folder, 'run.safetensors') }), /past the 0 epoch/);
});

test('initialEpoch starts the count there (Keras): epochs stays the total, the data skips the epochs before', async () => {
  const a = setup(10);
  const seen: number[] = [];
  await a.loop.fit(a.model, { epochs: 3, initialEpoch: 2, callbacks: [(loop: TrainingLoopState, event: string) => void (event === 'epochStart' && seen.push(loop.epochIndex!))] });
  assert.equal(seen, [2]);
  assert.is(a.losses.length, 5);
  // the third epoch's order: the same shuffle the straight run drew third
  const fresh = new TrainingEpochs(samples(40, 1), { batchSize: 8, seed: 13 });
  for (let i = 0; i < 3; i++) fresh.nextEpoch();
  assert.equal(a.training.state(), fresh.state());
  assert.equal(a.rates, straight.rates.slice(10), "the schedule's rates of the third epoch");
  await rejects(() => a.loop.fit(a.model, { epochs: 2, initialEpoch: 3 }), /initialEpoch must be an integer in \[0, epochs = 2\]/);
});

test('modelCheckpoint: every, keep and saveBestOnly decide the files', async () => {
  const folder = join(dir, 'keep');
  const a = setup(10, [modelCheckpoint({ dir: folder, keep: 2, log: () => {} })]);
  await a.loop.fit(a.model, { epochs: 4 });
  assert.equal(await readdir(folder), ['epoch-003.safetensors', 'epoch-004.safetensors']);
  const every = join(dir, 'every');
  const b = setup(10, [modelCheckpoint({ path: join(every, 'm-{epoch}.safetensors'), every: 2, log: () => {} })]);
  await b.loop.fit(b.model, { epochs: 5 });
  assert.equal(await readdir(every), ['m-002.safetensors', 'm-004.safetensors']);
  // the training loss falls every epoch here, so "best" in max mode is only the first
  const best = join(dir, 'best');
  const saver = modelCheckpoint({ path: join(best, 'm-{epoch}.safetensors'), monitor: 'training.loss', mode: 'max', saveBestOnly: true, log: () => {} });
  const c = setup(10, [saver]);
  const history = await c.loop.fit(c.model, { epochs: 3 });
  const trainingLoss = history.training.loss!;
  assert.ok(trainingLoss[0]! > trainingLoss[1]! && trainingLoss[1]! > trainingLoss[2]!, 'the loss falls');
  assert.equal(await readdir(best), ['m-001.safetensors']);
  assert.throws(() => modelCheckpoint({ path: 'a', dir: 'b' }), /either path .* or dir/);
  assert.throws(() => modelCheckpoint({ path: 'a.safetensors', keep: 2 }), /keep needs one file per epoch/);
  assert.throws(() => modelCheckpoint({ dir: 'a', every: 0 }), /every must be an integer ≥ 1/);
});

const gpu = await testWebGpu();
if (gpu) {
  test('webgpu: 2 epochs and a resumed third equal 3 straight epochs bit for bit', async () => {
    const whole = setup(10, [], { device: gpu });
    await whole.loop.fit(whole.model, { epochs: 3 });
    const folder = join(dir, 'webgpu');
    const stopAfterTwo = (loop: TrainingLoopState, event: string): void => {
      if (event === 'epochEnd' && loop.epochIndex === 1) throw TrainingLoopAction.cancelFit;
    };
    const first = setup(10, [modelCheckpoint({ dir: folder, log: () => {} }), stopAfterTwo], { device: gpu });
    await first.loop.fit(first.model, { epochs: 3 });
    const second = setup(77, [], { device: gpu });
    await second.loop.fit(second.model, { epochs: 3, resumeFrom: join(folder, 'epoch-002.safetensors') });
    assert.equal([...first.losses, ...second.losses], whole.losses);
    assert.equal(await parameterValues(second.model), await parameterValues(whole.model));
  });
}

test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test.run();
