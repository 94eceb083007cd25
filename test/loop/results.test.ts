// What a run gives back: evaluate, predict, custom metrics, the non-finite loss warning
// and terminateOnNaN, the learning rate in the CSV and TensorBoard logs.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Tensor, argmax, cast, equal, keep, mean, memory, tensor, tidy } from '../../src/index.js';
import { decodeEvent } from '../../src/io/tensorboard-events.js';
import { decodeRecords } from '../../src/io/tfrecord.js';
import { CSVLogger } from '../../src/loop/callbacks/csv-logger.js';
import { tensorBoardStatisticsLogger } from '../../src/loop/callbacks/tensorboard.js';
import { terminateOnNaN } from '../../src/loop/callbacks/terminate-on-nan.js';
import type { Metric } from '../../src/loop/metrics.js';
import { predict } from '../../src/loop/predict.js';
import { TrainingLoop, type TrainingLoopOptions } from '../../src/loop/training-loop.js';
import { softmaxCrossEntropy } from '../../src/losses/index.js';
import { SGD } from '../../src/optim/index.js';
import { Linear, toyBatches } from './helpers.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'loop-results-'));

function setup(extra: Partial<TrainingLoopOptions> = {}, trainBatches = 2) {
  const model = new Linear(4, 3);
  const training = toyBatches(trainBatches * 4, 4);
  const validation = toyBatches(7, 4, undefined, 5);
  const loop = new TrainingLoop({
    training: Array.from({ length: 10 }, () => training),
    validation,
    optimizer: new SGD(model, { learningRate: 0.1 }),
    lossFunction: softmaxCrossEntropy,
    metrics: ['accuracy'],
    progress: false,
    ...extra,
  });
  return { model, loop, training, validation };
}

test('evaluate returns the validation metrics without training; they equal the last validation phase of a fit', async () => {
  const { model, loop, validation } = setup();
  const history = await loop.fit(model, { epochs: 2 });
  const weights = await Promise.all(model.parameters().map((p) => p.data()));
  const result = await loop.evaluate(model);
  assert.equal(Object.keys(result), ['loss', 'accuracy']);
  assert.is(result.loss, history.last('validation', 'loss'));
  assert.is(result.accuracy, history.last('validation', 'accuracy'));
  assert.equal(await Promise.all(model.parameters().map((p) => p.data())), weights, 'nothing trained');
  const onFirst = await loop.evaluate(model, [validation[0]!]);
  assert.ok(onFirst.loss !== result.loss, 'other batches, other loss');
});

test('predict returns the outputs of every batch in order, one tensor the caller owns, in eval mode', async () => {
  const { model, validation } = setup();
  const before = memory().tensors;
  const outputs = await predict(model, validation);
  assert.equal(outputs.shape, [7, 3]);
  assert.ok(outputs.kept);
  assert.is(memory().tensors, before + 1, 'only the result lives');
  const reference = tidy(() => validation.map((b) => model.forward(b.data)));
  const expected = [...(await reference[0]!.data()), ...(await reference[1]!.data())];
  reference.forEach((t) => t.dispose());
  assert.equal(Array.from(await outputs.data()), expected);
  assert.ok(model.training, 'the training mode is restored');
  outputs.dispose();
  const bare = await predict(model, [validation[1]!.data]);
  assert.equal(bare.shape, [3, 3]);
  bare.dispose();
});

test('loop.predict is predict: the validation set by default, or the batches given', async () => {
  const { model, loop, validation } = setup();
  const method = await loop.predict(model);
  const standalone = await predict(model, validation);
  assert.equal(method.shape, [7, 3]);
  assert.ok(method.kept, 'the caller owns it');
  assert.equal(Array.from(await method.data()), Array.from(await standalone.data()));
  const first = await loop.predict(model, [validation[0]!]);
  assert.equal(first.shape, [4, 3]);
  for (const t of [method, standalone, first]) t.dispose();
});

test('a lastStep* tensor used after its batch ended names itself and tells about keep()', async () => {
  const { model, loop } = setup();
  const stored: Record<string, Tensor> = {};
  let kept: Tensor | undefined;
  let atEpochEnd = '';
  const messageOf = (f: () => unknown): string => {
    try {
      f();
    } catch (error) {
      return (error as Error).message;
    }
    return 'no error';
  };
  await loop.fit(model, {
    epochs: 1,
    callbacks: [
      {
        onBatchEnd(l) {
          if (!l.isTraining) return;
          if (l.batchIndex === 0) kept = keep(l.lastStepOutput!);
          if (l.batchIndex !== 1) return;
          stored.output = l.lastStepOutput!;
          stored.loss = l.lastStepLoss!;
          stored.gradient = l.lastStepGradient!.get('weight')!;
        },
        onEpochEnd(l) {
          atEpochEnd = messageOf(() => mean(l.lastStepLoss!));
        },
      },
    ],
  });
  assert.match(atEpochEnd, /was disposed: it was the loop's lastStepLoss of validation batch 2\/2 of epoch 1, freed when that batch ended/, 'read at epochEnd, after the last batch');
  const output = messageOf(() => mean(stored.output!));
  assert.match(output, /^mean: x \[4,3\] was disposed: it was the loop's lastStepOutput of training batch 2\/2 of epoch 1, freed when that batch ended/);
  assert.match(output, /keep\(loop\.lastStepOutput\)/);
  assert.match(messageOf(() => stored.loss!.storage), /was disposed: it was the loop's lastStepLoss of training batch 2\/2/);
  assert.match(messageOf(() => model.forward(stored.output!)), /disposed.*: it was the loop's lastStepOutput/);
  assert.match(messageOf(() => mean(stored.gradient!)), /lastStepGradient\.get\('weight'\)/);
  assert.equal((await kept!.data()).length, 12, 'a kept one lives on (the training output, held past the gradient scope)');
  assert.is(kept!.disposalNote, undefined);
  kept!.dispose();
  const own = tensor([1, 2]);
  own.dispose();
  assert.is(messageOf(() => mean(own)), 'mean: x [2] was disposed', 'other tensors keep the plain message');
});

test('custom metrics: a Metric object and a plain function, next to the built-ins', async () => {
  // the function: the batch's accuracy as a mean; weighted by samples it equals 'accuracy'
  const batchAccuracy = (output: Tensor, target: Tensor) => mean(cast(equal(argmax(output, -1), target), 'float32'));
  // the object: counts the samples it saw, on the host
  const seen: number[] = [];
  const counter: Metric = {
    name: 'samples',
    count: 0,
    reset() {
      this.count = 0;
    },
    update(_output, target) {
      this.count += target.shape[0]!;
      seen.push(target.shape[0]!);
    },
    result() {
      return this.count;
    },
  } as Metric & { count: number };
  const { model, loop } = setup({ metrics: ['accuracy', batchAccuracy, counter] });
  const history = await loop.fit(model, { epochs: 1 });
  assert.equal(Object.keys(history.validation), ['loss', 'accuracy', 'batchAccuracy', 'samples']);
  assert.ok(Math.abs(history.validation.batchAccuracy![0]! - history.validation.accuracy![0]!) < 1e-6);
  assert.equal(history.training.samples, [8]);
  assert.equal(history.validation.samples, [7]);
  assert.throws(() => setup({ metrics: [{ name: 'broken' } as never] }), /metric 0 must be a name/);
  const bad = setup({ metrics: [(o: Tensor) => o] });
  await bad.loop.fit(bad.model, { epochs: 1 }).then(() => assert.unreachable(), (e: unknown) => assert.match(String(e), /must return a scalar tensor/));
});

test('a NaN loss: one warning line by default; terminateOnNaN stops the fit after that batch, fitEnd still runs', async () => {
  const training = await poisonedBatches();
  const warnings: string[] = [];
  const events: string[] = [];
  const { model, loop } = setup({ training: Array.from({ length: 5 }, () => training), callbacks: [(l, e) => void ((e === 'fitEnd' || e === 'epochEnd') && events.push(e))] });
  loop.statisticsRecorder!.warn = (m) => warnings.push(m);
  const history = await loop.fit(model, { epochs: 3 });
  assert.is(history.epochCount, 3, 'by default the run goes on');
  assert.is(warnings.length, 1, 'one line per fit');
  assert.match(warnings[0]!, /the training loss is NaN at epoch 1\/3, training batch 2\/3/);
  assert.ok(Number.isNaN(history.training.loss![0]!));
  assert.is(history.validation.accuracy![0], 0, 'a NaN model is not 100% accurate');

  const stops: string[] = [];
  const second = setup({ training: Array.from({ length: 5 }, () => training), callbacks: [terminateOnNaN({ log: (m) => stops.push(m) }), (l, e) => void ((e === 'fitEnd' || e === 'epochEnd' || e === 'batchEnd') && events.push(`${e}${l.isTraining ? ' t' : ''}`))] });
  second.loop.statisticsRecorder!.warn = () => {};
  events.length = 0;
  const stopped = await second.loop.fit(second.model, { epochs: 3 });
  assert.equal(events, ['batchEnd t', 'fitEnd t'], 'stopped at the second batch (terminateOnNaN runs before this tracer)');
  assert.is(stopped.epochCount, 0);
  assert.match(stops[0]!, /terminateOnNaN: the training loss is NaN at epoch 1\/3, training batch 2\/3; stopping the fit/);
});

async function poisonedBatches() {
  const batches = toyBatches(12, 4);
  const x = Array.from(await batches[1]!.data.data());
  x[0] = Number.NaN;
  batches[1] = { data: keep(tensor(x, { shape: [4, 4] })), label: batches[1]!.label };
  return batches;
}

test('the learning rate is logged: a CSV column, TensorBoard learning_rate; TensorBoard steps continue across fits', async () => {
  const dir = tmp();
  const csv = join(dir, 'log.csv');
  const logger = tensorBoardStatisticsLogger({ logdir: dir, runName: 'run' });
  const { model, loop } = setup({ callbacks: [new CSVLogger({ path: csv }), logger, { onBatchStart: (l) => void (l.optimizer.learningRate = 0.5) }] });
  await loop.fit(model, { epochs: 1 });
  const rows = readFileSync(csv, 'utf8').trimEnd().split('\n');
  assert.is(rows[0], 'epoch,batch,phase,loss,accuracy,learning_rate');
  assert.ok(rows.slice(1).every((r) => r.endsWith(',0.5')));
  // a second loop (globalStep from 0 again) and a second fit with the same logger
  const again = setup({ callbacks: [logger] });
  await again.loop.fit(again.model, { epochs: 2 });
  const scalars = (phase: string) => {
    const folder = join(dir, 'run', phase);
    return decodeRecords(readFileSync(join(folder, readdirSync(folder)[0]!))).map(decodeEvent).slice(1).map((e) => `${e.summary![0]!.tag}@${e.step ?? 0}`);
  };
  const train = scalars('train');
  assert.equal(train.filter((t) => t.startsWith('epoch_loss')), ['epoch_loss@0', 'epoch_loss@1', 'epoch_loss@2']);
  assert.equal(train.filter((t) => t.startsWith('batch_loss')), ['batch_loss@0', 'batch_loss@1', 'batch_loss@2', 'batch_loss@3', 'batch_loss@4', 'batch_loss@5']);
  assert.equal(train.filter((t) => t.startsWith('learning_rate')).length, 6);
  assert.equal(train.filter((t) => t.startsWith('epoch_learning_rate')), ['epoch_learning_rate@0', 'epoch_learning_rate@1', 'epoch_learning_rate@2']);
  assert.equal(scalars('validation').filter((t) => t.startsWith('epoch_loss')), ['epoch_loss@0', 'epoch_loss@1', 'epoch_loss@2']);
});

test.run();
