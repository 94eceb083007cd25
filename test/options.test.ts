// Options objects reject keys their callee does not know (a misspelt `learningrate` would
// otherwise be ignored and the default used): a TensorLoopError naming the callee and the
// unknown key, listing the accepted ones, thrown before anything is made.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TensorLoopError } from '../src/errors.js';
import { checkOptions } from '../src/options.js';
import { tensor } from '../src/tensor.js';
import { Adam, AdamW, RMSProp, SGD } from '../src/optim/index.js';
import { TrainingLoop } from '../src/loop/training-loop.js';
import { CSVLogger } from '../src/loop/callbacks/csv-logger.js';
import { ProgressPrinter } from '../src/loop/callbacks/progress-printer.js';
import { ScheduleSegment, linear, makeSchedule } from '../src/loop/callbacks/learning-rate-schedule.js';
import { learningRateScheduler } from '../src/loop/callbacks/learning-rate-scheduler.js';
import { tensorBoardStatisticsLogger } from '../src/loop/callbacks/tensorboard.js';
import { softmaxCrossEntropy } from '../src/losses/index.js';

/** Runs `make` (any options typing bypassed, as plain JavaScript would) and checks the error. */
function rejects(make: () => unknown, owner: string, key: string, accepted: string[]): void {
  try {
    make();
  } catch (error) {
    assert.instance(error, TensorLoopError, String(error));
    const message = (error as Error).message;
    assert.ok(message.startsWith(`${owner}: unknown option '${key}'`), message);
    for (const name of accepted) assert.ok(message.includes(name), `${message} lists ${name}`);
    return;
  }
  assert.unreachable(`${owner} accepted the unknown option '${key}'`);
}

const loose = (o: object): any => o;

test('checkOptions: accepts known keys, undefined values and no options at all', () => {
  const options = { a: 1, b: undefined };
  assert.is(checkOptions('f', options, ['a', 'b']), options);
  assert.is(checkOptions('f', undefined as { a?: number } | undefined, ['a']), undefined);
});

test('checkOptions: an unknown key names the callee, the key, a likely meaning and the accepted keys', () => {
  assert.throws(() => checkOptions('SGD', loose({ learningrate: 0.1 }), ['learningRate', 'momentum']),
    (e: Error) => e instanceof TensorLoopError && e.message === "SGD: unknown option 'learningrate' (did you mean 'learningRate'?); the accepted options are learningRate, momentum");
  assert.throws(() => checkOptions('f', loose({ zzz: 1 }), ['alpha']), (e: Error) => e.message === "f: unknown option 'zzz'; the accepted options are alpha");
  assert.throws(() => checkOptions('f', loose({ mommentum: 1 }), ['momentum', 'rho']), /did you mean 'momentum'/);
});

test('checkOptions: options that are not an object are an error', () => {
  for (const bad of [0.1, 'fast', null, [1], () => 1]) {
    assert.throws(() => checkOptions('SGD', loose(bad as object), ['learningRate']), (e: Error) => e instanceof TensorLoopError && /^SGD: options must be an object \{learningRate\}, got/.test(e.message));
  }
});

test('optimizers reject unknown options', () => {
  const model = { parameters: { w: tensor([1, 2]) } };
  const source = { namedParameters: () => Object.entries(model.parameters) } as any;
  rejects(() => new SGD(source, loose({ learningrate: 0.1 })), 'SGD', 'learningrate', ['learningRate', 'momentum', 'nesterov', 'weightDecay']);
  rejects(() => new Adam(source, loose({ beta: 0.9 })), 'Adam', 'beta', ['beta1', 'beta2', 'epsilon']);
  rejects(() => new AdamW(source, loose({ decay: 0.1 })), 'AdamW', 'decay', ['weightDecay']);
  rejects(() => new RMSProp(source, loose({ learning_rate: 0.1 })), 'RMSProp', 'learning_rate', ['learningRate', 'rho', 'epsilon']);
  assert.throws(() => new SGD(source, loose(0.1 as unknown as object)), /SGD: options must be an object/);
});

test('the loop and its callbacks reject unknown options', async () => {
  const base = { training: [[]], validation: [], optimizer: { update() {}, learningRate: 0.1 }, lossFunction: softmaxCrossEntropy };
  rejects(() => new TrainingLoop(loose({ ...base, metric: ['accuracy'] })), 'TrainingLoop', 'metric', ['metrics', 'callbacks']);
  const loop = new TrainingLoop(loose({ ...base, progress: false }));
  let error: unknown;
  await loop.fit(loose({ forward: (x: unknown) => x }), loose({ epochs: 1, epoch: 3 })).catch((e: unknown) => (error = e));
  assert.instance(error, TensorLoopError);
  assert.match((error as Error).message, /^TrainingLoop\.fit: unknown option 'epoch' \(did you mean 'epochs'\?\)/);
  rejects(() => new ProgressPrinter(loose({ barlength: 10 })), 'ProgressPrinter', 'barlength', ['barLength']);
  rejects(() => new TrainingLoop(loose({ ...base, progress: { width: 80 } })), 'ProgressPrinter', 'width', ['barLength']);
  rejects(() => new CSVLogger(loose({ file: 'x.csv' })), 'CSVLogger', 'file', ['path']);
  rejects(() => new ScheduleSegment(loose({ shape: linear, endRate: 0, steps: 3 })), 'ScheduleSegment', 'steps', ['stepCount']);
  rejects(() => learningRateScheduler(loose({ schedule: makeSchedule([new ScheduleSegment({ shape: linear, endRate: 0 })]), beta: 1 })), 'learningRateScheduler', 'beta', ['biasCorrectionBeta']);
  rejects(() => tensorBoardStatisticsLogger(loose({ logDir: 'x' })), 'tensorBoardStatisticsLogger', 'logDir', ['logdir', 'runName']);
});

test.run();
