// The built-in callbacks: CSV logger, learning-rate schedules and scheduler, TensorBoard
// logger and the progress printer, each driven by a real TrainingLoop.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeEvent } from '../../src/io/tensorboard-events.js';
import { decodeRecords } from '../../src/io/tfrecord.js';
import { CSVLogger, formatFloat32 } from '../../src/loop/callbacks/csv-logger.js';
import { ScheduleSegment, constant, cosine, exponential, linear, makeSchedule } from '../../src/loop/callbacks/learning-rate-schedule.js';
import { learningRateScheduler } from '../../src/loop/callbacks/learning-rate-scheduler.js';
import { ProgressPrinter, formatDuration, progressBar } from '../../src/loop/callbacks/progress-printer.js';
import { tensorBoardStatisticsLogger } from '../../src/loop/callbacks/tensorboard.js';
import type { TrainingLoopCallback } from '../../src/loop/state.js';
import { TrainingLoop } from '../../src/loop/training-loop.js';
import { softmaxCrossEntropy } from '../../src/losses/index.js';
import { SGD } from '../../src/optim/index.js';
import { Linear, toyBatches } from './helpers.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'loop-'));

function makeLoop(callbacks: TrainingLoopCallback[], trainBatches = 2, validBatches = 1, progress: ConstructorParameters<typeof TrainingLoop>[0]['progress'] = false) {
  const model = new Linear(4, 3);
  const training = toyBatches(trainBatches * 4, 4);
  return {
    model,
    loop: new TrainingLoop({
      training: Array.from({ length: 10 }, () => training),
      validation: toyBatches(validBatches * 4 - 1, 4, undefined, 5), // a short last batch of 3
      optimizer: new SGD(model, { learningRate: 0.1 }),
      lossFunction: softmaxCrossEntropy,
      metrics: ['accuracy'],
      callbacks,
      progress,
    }),
  };
}

// ---------------------------------------------------------------- CSV

test('CSVLogger: header, one row per batch with phase, values equal lastStatsLog', async () => {
  const path = join(tmp(), 'deep', 'dir', 'log.csv');
  const logger = new CSVLogger({ path });
  const expected: string[] = [];
  let seenDuringValidation = '';
  const { model, loop } = makeLoop([
    logger.log,
    (l, e) => {
      if (e !== 'batchEnd') return;
      expected.push([l.epochIndex! + 1, l.batchIndex! + 1, l.isTraining ? 'train' : 'validation', ...l.lastStatsLog!.map((s) => formatFloat32(s.value)), '0.1'].join(','));
      if (!l.isTraining && !seenDuringValidation) seenDuringValidation = readFileSync(path, 'utf8');
    },
  ]);
  await loop.fit(model, { epochs: 2 });
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.is(lines[0], 'epoch,batch,phase,loss,accuracy,learning_rate');
  assert.equal(lines.slice(1), expected);
  assert.is(lines.length, 1 + 2 * 3);
  assert.match(lines[1]!, /^1,1,train,[0-9.e-]+,[0-9.]+,0\.1$/);
  assert.match(lines[3]!, /^1,1,validation,/);
  assert.is(seenDuringValidation.trimEnd().split('\n').length, 1 + 3, 'rows are on disk as soon as written');
  for (const line of lines.slice(1)) for (const cell of line.split(',').slice(3)) assert.ok(Number.isFinite(Number(cell)), cell);
});

test('CSVLogger: rows only when statistics were measured (endOfEpoch trigger: one per phase)', async () => {
  const path = join(tmp(), 'log.csv');
  const { model, loop } = makeLoop([new CSVLogger({ path }).log], 3, 2);
  loop.statisticsRecorder!.setReportTrigger('endOfEpoch');
  await loop.fit(model, { epochs: 2 });
  const rows = readFileSync(path, 'utf8').trimEnd().split('\n').slice(1).map((r) => r.split(',').slice(0, 3).join(','));
  assert.equal(rows, ['1,3,train', '1,2,validation', '2,3,train', '2,2,validation']);
});

test('CSVLogger rejects a path without .csv; formatFloat32 gives the shortest float32 text', () => {
  assert.throws(() => new CSVLogger({ path: join(tmp(), 'log.txt') }), /\.csv/);
  assert.is(formatFloat32(0.1), '0.1');
  assert.is(formatFloat32(Math.fround(0.48191845)), '0.48191845');
  assert.is(formatFloat32(1), '1');
  assert.is(formatFloat32(1e-5), '0.00001');
  assert.is(formatFloat32(NaN), 'NaN');
  assert.is(formatFloat32(-Infinity), '-inf');
});

// ---------------------------------------------------------------- schedules

test('the seed\'s warm-up example: 0 → peak over 10 steps, then linearly to 0 at the last step', () => {
  const peak = 2e-5;
  const T = 30;
  const schedule = makeSchedule([
    new ScheduleSegment({ shape: linear, startRate: 0, endRate: peak, stepCount: 10 }),
    new ScheduleSegment({ shape: linear, endRate: 0 }),
  ])(T);
  assert.is(schedule.stepCount, T);
  for (let s = 0; s < T; s++) {
    const expected = s <= 9 ? (peak * s) / 9 : (peak * (T - 1 - s)) / (T - 10);
    assert.ok(Math.abs(schedule.rate(s) - expected) < 1e-15, `step ${s}: ${schedule.rate(s)} vs ${expected}`);
  }
  assert.is(schedule.rate(9), peak);
  assert.is(schedule.rate(T - 1), 0);
});

test('learningRateScheduler sets the rate at each training batchStart, step by step', async () => {
  const peak = 0.5;
  const seen: number[] = [];
  const { model, loop } = makeLoop([
    learningRateScheduler({
      schedule: makeSchedule([new ScheduleSegment({ shape: linear, startRate: 0, endRate: peak, stepCount: 10 }), new ScheduleSegment({ shape: linear, endRate: 0 })]),
    }),
    (l, e) => void (e === 'updateStart' && seen.push(l.optimizer.learningRate)),
  ], 4);
  await loop.fit(model, { epochs: 5 }); // 20 steps
  assert.is(seen.length, 20);
  seen.forEach((rate, s) => {
    const expected = s <= 9 ? (peak * s) / 9 : (peak * (19 - s)) / 10;
    assert.ok(Math.abs(rate - expected) < 1e-12, `step ${s}: ${rate} vs ${expected}`);
  });
  // a second fit of another length rebuilds the schedule for its own run
  seen.length = 0;
  await loop.fit(model, { epochs: 3 });
  assert.is(seen.length, 12);
  assert.ok(Math.abs(seen[11]!) < 1e-12, 'ends at 0 at its own last step');
});

test('bias correction is Adam\'s sqrt(1 − β2^t)/(1 − β1^t) with t = step + 1', async () => {
  const seen: number[] = [];
  const { model, loop } = makeLoop([
    learningRateScheduler({ schedule: makeSchedule([new ScheduleSegment({ shape: constant, endRate: 0.01 })]), biasCorrectionBeta: [0.9, 0.999] }),
    (l, e) => void (e === 'updateStart' && seen.push(l.optimizer.learningRate)),
  ]);
  await loop.fit(model, { epochs: 1 });
  seen.forEach((rate, s) => assert.ok(Math.abs(rate - (0.01 * Math.sqrt(1 - 0.999 ** (s + 1))) / (1 - 0.9 ** (s + 1))) < 1e-15));
});

test('shapes: cosine, exponential, constant and a custom function', () => {
  const at = (segment: ScheduleSegment, steps: number) => {
    const schedule = makeSchedule([segment])(steps);
    return Array.from({ length: steps }, (_, s) => schedule.rate(s));
  };
  const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-12, `${i}: ${v} vs ${b[i]}`));
  close(at(new ScheduleSegment({ shape: cosine, startRate: 1, endRate: 0 }), 3), [1, 0.5, 0]);
  close(at(new ScheduleSegment({ shape: exponential, startRate: 1, endRate: 0.01 }), 3), [1, 0.1, 0.01]);
  close(at(new ScheduleSegment({ shape: constant, startRate: 9, endRate: 0.3 }), 3), [0.3, 0.3, 0.3]);
  close(at(new ScheduleSegment({ shape: (p) => p * p, startRate: 0, endRate: 1 }), 3), [0, 0.25, 1]);
  // a custom curve is normalized between its ends, as S4TF's Shape.projected
  close(at(new ScheduleSegment({ shape: (p) => 10 + 5 * p, startRate: 2, endRate: 4 }), 3), [2, 3, 4]);
});

test('a missing startRate continues from the previous segment; past a fully counted schedule the last rate holds', () => {
  const schedule = makeSchedule([
    new ScheduleSegment({ shape: linear, startRate: 1, endRate: 3, stepCount: 3 }),
    new ScheduleSegment({ shape: linear, endRate: 0, stepCount: 4 }),
  ])(100);
  assert.equal([0, 1, 2, 3, 4, 5, 6, 7].map((s) => schedule.rate(s)), [1, 2, 3, 2, 1, 0, 0, 0]);
});

test('schedule errors name the problem', () => {
  assert.throws(() => makeSchedule([new ScheduleSegment({ shape: linear, endRate: 1 }), new ScheduleSegment({ shape: linear, endRate: 0 })])(10), /segment 0 needs a stepCount/);
  assert.throws(() => new ScheduleSegment({ shape: () => 1, endRate: 1 }), /f\(0\) ≠ f\(1\)/);
  assert.throws(() => new ScheduleSegment({ shape: linear, endRate: 1, stepCount: 0 }), /stepCount/);
  assert.throws(() => makeSchedule([new ScheduleSegment({ shape: exponential, endRate: 1 })])(5), /exponential segment needs rates above 0/);
  assert.throws(() => makeSchedule([]), /at least one/);
});

// ---------------------------------------------------------------- TensorBoard

test('tensorBoardStatisticsLogger: train/validation files, epoch_* and batch_* tags with their steps and values', async () => {
  const logdir = tmp();
  const logger = tensorBoardStatisticsLogger({ logdir, runName: 'run1' });
  const expected = { train: [] as string[], validation: [] as string[] };
  const { model, loop } = makeLoop([
    logger,
    (l, e) => {
      const stats = l.lastStatsLog ?? [];
      if (e === 'batchEnd' && l.isTraining) {
        for (const s of stats) expected.train.push(`batch_${s.name}@${l.globalStep}=${Math.fround(s.value)}`);
        expected.train.push(`learning_rate@${l.globalStep}=${Math.fround(0.1)}`);
      }
      if (e === 'trainingEnd') {
        for (const s of stats) expected.train.push(`epoch_${s.name}@${l.epochIndex}=${Math.fround(s.value)}`);
        expected.train.push(`epoch_learning_rate@${l.epochIndex}=${Math.fround(0.1)}`);
      }
      if (e === 'validationEnd') for (const s of stats) expected.validation.push(`epoch_${s.name}@${l.epochIndex}=${Math.fround(s.value)}`);
    },
  ]);
  await loop.fit(model, { epochs: 2 });
  for (const phase of ['train', 'validation'] as const) {
    const dir = join(logdir, 'run1', phase);
    const files = readdirSync(dir);
    assert.is(files.length, 1);
    assert.match(files[0]!, /^events\.out\.tfevents\.\d+\./);
    const events = decodeRecords(readFileSync(join(dir, files[0]!))).map(decodeEvent);
    assert.is(events[0]!.fileVersion, 'brain.Event:2');
    const scalars = events.slice(1).map((e) => {
      assert.ok(e.wallTime > 1.6e9, 'wall_time is set');
      const v = e.summary![0]!;
      assert.is(v.displayName, v.tag);
      return `${v.tag}@${e.step ?? 0}=${v.simpleValue}`;
    });
    assert.equal(scalars, expected[phase]);
  }
  assert.ok(expected.train.includes(`batch_loss@3=${expected.train.find((s) => s.startsWith('batch_loss@3'))!.split('=')[1]}`));
  assert.is(expected.validation.length, 4);
});

// ---------------------------------------------------------------- progress

test('progressBar follows S4TF: round(L·done/total) =, then > and dots', () => {
  assert.is(progressBar(1, 79), `[>${'.'.repeat(29)}]`);
  assert.is(progressBar(58, 79), `[${'='.repeat(22)}>${'.'.repeat(7)}]`);
  assert.is(progressBar(79, 79), `[${'='.repeat(30)}]`);
  assert.is(formatDuration(12.34), '12.3s');
  assert.is(formatDuration(125), '2m05s');
});

test('ProgressPrinter on a terminal: Epoch line, lines rewritten in place with stats, elapsed, ETA, samples/s', async () => {
  let text = '';
  let clock = 0;
  const output = { write: (s: string) => void (text += s), isTTY: true };
  const { model, loop } = makeLoop([(_l, e) => void (e === 'batchStart' && (clock += 0.5))], 2, 1, { output, now: () => clock, refreshSeconds: 0 });
  await loop.fit(model, { epochs: 1 });
  const lines = text.split('\n');
  assert.is(lines[0], 'Epoch 1/1');
  assert.match(lines[1]!, /^\r1\/2 \[=+>\.+\] - loss: \d\.\d{4} - accuracy: \d\.\d{4} - 0\.5s - ETA 0\.5s - 8 samples\/s\x1b\[K\r2\/2 \[={30}\] - loss: /);
  assert.match(lines[1]!, /\r2\/2 \[={30}\] - loss: \d\.\d{4} - accuracy: \d\.\d{4} - 1\.0s - 8 samples\/s\x1b\[K$/);
  assert.match(lines[2]!, /^\rvalidation 1\/1 \[={30}\] - loss: .* - 0\.5s - 6 samples\/s\x1b\[K/);
});

test('ProgressPrinter without a terminal: one plain line per phase; progress: false prints nothing', async () => {
  let text = '';
  const { model, loop } = makeLoop([], 3, 2, { output: { write: (s: string) => void (text += s) } });
  await loop.fit(model, { epochs: 2 });
  const lines = text.trimEnd().split('\n');
  assert.is(lines.length, 6);
  assert.equal(lines.map((l) => l.split(' ')[0]), ['Epoch', '3/3', 'validation', 'Epoch', '3/3', 'validation']);
  assert.not.ok(text.includes('\r'));
  const quiet = makeLoop([], 1, 1, false);
  assert.is(quiet.loop.progressPrinter, undefined);
});

test('ProgressPrinter without a terminal: a line every logSeconds within a long phase', async () => {
  let text = '';
  let clock = 0;
  const output = { write: (s: string) => void (text += s) };
  const { model, loop } = makeLoop([(_l, e) => void (e === 'batchStart' && (clock += 4))], 6, 1, { output, now: () => clock, logSeconds: 10 });
  await loop.fit(model, { epochs: 1 });
  const lines = text.trimEnd().split('\n');
  // batches end at 4, 8, 12, 16, 20, 24 s: lines at 12 s (3/6) and 24 s… the last is the phase's own line
  assert.equal(lines.map((l) => l.split(' ')[0]), ['Epoch', '3/6', '6/6', 'validation']);
});

test('ProgressPrinter.format fits the terminal width, dropping samples/s, time, bar length, ETA, bar, then metrics', () => {
  const state = { batchIndex: 4, batchCount: 10, lastStatsLog: [{ name: 'loss', value: 0.5 }, { name: 'accuracy', value: 0.75 }], isTraining: true } as never;
  const lineFor = (columns: number) => new ProgressPrinter({ output: { write() {}, isTTY: true, columns }, now: () => 2 }).format(state, 2);
  assert.is(lineFor(200), '5/10 [===============>..............] - loss: 0.5000 - accuracy: 0.7500 - 2.0s - ETA 2.0s - 0 samples/s');
  assert.is(lineFor(90), '5/10 [===============>..............] - loss: 0.5000 - accuracy: 0.7500 - 2.0s - ETA 2.0s');
  assert.is(lineFor(85), '5/10 [===============>..............] - loss: 0.5000 - accuracy: 0.7500 - ETA 2.0s');
  assert.is(lineFor(80), '5/10 [=====>....] - loss: 0.5000 - accuracy: 0.7500 - ETA 2.0s');
  assert.is(lineFor(60), '5/10 [=====>....] - loss: 0.5000 - accuracy: 0.7500');
  assert.is(lineFor(40), '5/10 - loss: 0.5000 - accuracy: 0.7500');
  assert.is(lineFor(30), '5/10 - loss: 0.5000');
  assert.is(lineFor(10), '5/10 - lo');
});

test.run();
