// The TrainingLoop's events, actions, state and memory, on a tiny linear classifier.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpu } from '../../src/device/cpu.js';
import { CallbackError, TensorLoopError, memory, mul, zeros } from '../../src/index.js';
import { softmaxCrossEntropy } from '../../src/losses/index.js';
import { TrainingLoopAction, type TrainingLoopActionKind } from '../../src/loop/actions.js';
import type { TrainingLoopEvent } from '../../src/loop/events.js';
import type { TrainingLoopState } from '../../src/loop/state.js';
import { TrainingLoop } from '../../src/loop/training-loop.js';
import { SGD } from '../../src/optim/index.js';
import { Linear, type TraceRow, events, parameterValues, toyBatches, tracer } from './helpers.js';

function setup(trainCount = 2, validCount = 1, batchSize = 4, extra: Partial<ConstructorParameters<typeof TrainingLoop>[0]> = {}) {
  const model = new Linear(4, 3);
  const training = toyBatches(trainCount * batchSize, batchSize);
  const validation = toyBatches(validCount * batchSize, batchSize, undefined, 99);
  const rows: TraceRow[] = [];
  const loop = new TrainingLoop({
    training: Array.from({ length: 20 }, () => training),
    validation,
    optimizer: new SGD(model, { learningRate: 0.1 }),
    lossFunction: softmaxCrossEntropy,
    metrics: ['accuracy'],
    progress: false,
    callbacks: [tracer(rows)],
    ...extra,
  });
  return { model, loop, rows };
}

/** A callback throwing `kind` at the first `event` that matches `when`. */
function thrower(kind: TrainingLoopActionKind, event: TrainingLoopEvent, when: (l: TrainingLoopState) => boolean = () => true) {
  let fired = false;
  return (loop: TrainingLoopState, e: TrainingLoopEvent): void => {
    if (!fired && e === event && when(loop)) {
      fired = true;
      throw new TrainingLoopAction(kind);
    }
  };
}

test('1 epoch, 2 training + 1 validation batches: the event trace of Swift for TensorFlow', async () => {
  const { model, loop, rows } = setup();
  await loop.fit(model, { epochs: 1 });
  const table = rows.map((r) => `${r.event} ${r.isTraining ? 'training' : 'inference'} ${r.batch}`);
  assert.equal(table, [
    'fitStart inference -/-',
    'epochStart inference -/-',
    'trainingStart training -/-',
    'batchStart training 0/2',
    'updateStart training 0/2',
    'batchEnd training 0/2',
    'batchStart training 1/2',
    'updateStart training 1/2',
    'batchEnd training 1/2',
    'trainingEnd training 1/2',
    'validationStart inference 1/2',
    'batchStart inference 0/1',
    'inferencePredictionEnd inference 0/1',
    'batchEnd inference 0/1',
    'validationEnd inference 0/1',
    'epochEnd inference 0/1',
    'fitEnd inference 0/1',
  ]);
});

test('state at each event: output after the forward, loss after inferencePredictionEnd, gradient at updateStart', async () => {
  const seen: string[] = [];
  const { model, loop } = setup(1, 1, 4, {
    callbacks: [
      (l, e) => {
        if (!['batchStart', 'updateStart', 'inferencePredictionEnd', 'batchEnd'].includes(e)) return;
        const has = (x: unknown) => (x ? 1 : 0);
        seen.push(`${e}:${has(l.lastStepInput)}${has(l.lastStepTarget)}${has(l.lastStepOutput)}${has(l.lastStepLoss)}${has(l.lastStepGradient)} step ${l.globalStep}`);
        if (e === 'updateStart') assert.equal([...l.lastStepGradient!.keys()], ['weight', 'bias']);
        assert.is(l.model, model);
      },
    ],
  });
  await loop.fit(model, { epochs: 2 });
  assert.equal(seen, [
    'batchStart:11000 step 0',
    'updateStart:11111 step 0',
    'batchEnd:11111 step 0',
    'batchStart:11000 step 1',
    'inferencePredictionEnd:11100 step 1',
    'batchEnd:11110 step 1',
    'batchStart:11000 step 1',
    'updateStart:11111 step 1',
    'batchEnd:11111 step 1',
    'batchStart:11000 step 2',
    'inferencePredictionEnd:11100 step 2',
    'batchEnd:11110 step 2',
  ]);
  assert.is(loop.epochIndex, 1);
});

const cancelCases: [TrainingLoopActionKind, TrainingLoopEvent, (l: TrainingLoopState) => boolean, string[]][] = [
  [
    'cancelBatch',
    'batchStart',
    (l) => l.isTraining && l.batchIndex === 0,
    ['fitStart', 'epochStart', 'trainingStart', 'batchStart', 'batchEnd', 'batchStart', 'updateStart', 'batchEnd', 'trainingEnd', 'validationStart', 'batchStart', 'inferencePredictionEnd', 'batchEnd', 'validationEnd', 'epochEnd', 'fitEnd'],
  ],
  [
    'cancelBatch',
    'inferencePredictionEnd',
    () => true,
    ['fitStart', 'epochStart', 'trainingStart', 'batchStart', 'updateStart', 'batchEnd', 'batchStart', 'updateStart', 'batchEnd', 'trainingEnd', 'validationStart', 'batchStart', 'inferencePredictionEnd', 'batchEnd', 'validationEnd', 'epochEnd', 'fitEnd'],
  ],
  [
    'cancelTraining',
    'updateStart',
    () => true,
    ['fitStart', 'epochStart', 'trainingStart', 'batchStart', 'updateStart', 'trainingEnd', 'validationStart', 'batchStart', 'inferencePredictionEnd', 'batchEnd', 'validationEnd', 'epochEnd', 'fitEnd'],
  ],
  [
    'cancelTraining',
    'trainingStart',
    () => true,
    ['fitStart', 'epochStart', 'trainingStart', 'trainingEnd', 'validationStart', 'batchStart', 'inferencePredictionEnd', 'batchEnd', 'validationEnd', 'epochEnd', 'fitEnd'],
  ],
  [
    'cancelValidation',
    'validationStart',
    () => true,
    ['fitStart', 'epochStart', 'trainingStart', 'batchStart', 'updateStart', 'batchEnd', 'batchStart', 'updateStart', 'batchEnd', 'trainingEnd', 'validationStart', 'validationEnd', 'epochEnd', 'fitEnd'],
  ],
  [
    'cancelEpoch',
    'batchEnd',
    (l) => l.isTraining && l.batchIndex === 0,
    ['fitStart', 'epochStart', 'trainingStart', 'batchStart', 'updateStart', 'batchEnd', 'epochEnd', 'fitEnd'],
  ],
  [
    'cancelEpoch',
    'epochStart',
    () => true,
    ['fitStart', 'epochStart', 'epochEnd', 'fitEnd'],
  ],
  [
    'cancelFit',
    'batchStart',
    (l) => !l.isTraining,
    ['fitStart', 'epochStart', 'trainingStart', 'batchStart', 'updateStart', 'batchEnd', 'batchStart', 'updateStart', 'batchEnd', 'trainingEnd', 'validationStart', 'batchStart', 'fitEnd'],
  ],
  ['cancelFit', 'fitStart', () => true, ['fitStart', 'fitEnd']],
];

for (const [kind, event, when, expected] of cancelCases) {
  test(`${kind} thrown at ${event}: End events of its scope still fire`, async () => {
    const rows: TraceRow[] = [];
    const { model, loop } = setup(2, 1, 4, { callbacks: [tracer(rows), thrower(kind, event, when)] });
    await loop.fit(model, { epochs: 1 });
    assert.equal(events(rows), expected);
  });
}

test('cancelEpoch skips to the next epoch; the fit goes on', async () => {
  const rows: TraceRow[] = [];
  const { model, loop } = setup(1, 1, 4, { callbacks: [tracer(rows), thrower('cancelEpoch', 'validationStart')] });
  await loop.fit(model, { epochs: 2 });
  assert.equal(events(rows).filter((e) => e.startsWith('epoch') || e.startsWith('validation')), [
    'epochStart', 'validationStart', 'epochEnd', 'epochStart', 'validationStart', 'validationEnd', 'epochEnd',
  ]);
});

const escapes: [TrainingLoopActionKind, TrainingLoopEvent][] = [
  ['cancelBatch', 'batchEnd'],
  ['cancelTraining', 'validationStart'],
  ['cancelValidation', 'trainingStart'],
  ['cancelEpoch', 'epochEnd'],
  ['cancelFit', 'fitEnd'],
];
for (const [kind, event] of escapes) {
  test(`${kind} thrown at ${event} is outside its scope: it escapes fit, later events do not fire`, async () => {
    const rows: TraceRow[] = [];
    const { model, loop } = setup(1, 1, 4, { callbacks: [tracer(rows), thrower(kind, event)] });
    const before = memory().tensors;
    const error = await loop.fit(model, { epochs: 1 }).then(() => undefined, (e: unknown) => e);
    assert.instance(error, TrainingLoopAction);
    assert.is((error as TrainingLoopAction).kind, kind);
    assert.is(events(rows).at(-1), event);
    if (event !== 'fitEnd') assert.not.ok(events(rows).includes('fitEnd'));
    assert.is(memory().tensors, before, 'the step tensors were released');
  });
}

test('cancelBatch at updateStart skips the optimizer update', async () => {
  const { model, loop } = setup(1, 1, 4, { callbacks: [thrower('cancelBatch', 'updateStart')] });
  const before = await parameterValues(model);
  await loop.fit(model, { epochs: 1 });
  assert.equal(await parameterValues(model), before);
});

test('a callback changing the learning rate changes the update', async () => {
  const run = async (rate: number) => {
    const { model, loop } = setup(1, 1, 4, { callbacks: [(l, e) => void (e === 'batchStart' && (l.optimizer.learningRate = rate))] });
    const before = await parameterValues(model);
    await loop.fit(model, { epochs: 1 });
    const after = await parameterValues(model);
    return after.map((v, i) => v - before[i]!);
  };
  const zero = await run(0);
  assert.ok(zero.every((d) => d === 0), 'learning rate 0: no change');
  const small = await run(0.1);
  const large = await run(0.3);
  assert.ok(small.some((d) => d !== 0));
  small.forEach((d, i) => assert.ok(Math.abs(large[i]! - 3 * d) < 1e-6, `step ${i} scales with the rate`));
});

test('writing lastStepGradient at updateStart changes the update', async () => {
  const run = async (scale: number | 'zero') => {
    const { model, loop } = setup(1, 1, 4, {
      callbacks: [
        (l, e) => {
          if (e !== 'updateStart') return;
          l.lastStepGradient = new Map([...l.lastStepGradient!].map(([k, g]) => [k, scale === 'zero' ? zeros(g.shape) : mul(g, scale)]));
        },
      ],
    });
    const before = await parameterValues(model);
    await loop.fit(model, { epochs: 1 });
    return (await parameterValues(model)).map((v, i) => v - before[i]!);
  };
  assert.ok((await run('zero')).every((d) => d === 0));
  const once = await run(1);
  const twice = await run(2);
  once.forEach((d, i) => assert.ok(Math.abs(twice[i]! - 2 * d) < 1e-6));
});

test('a callback error is rethrown naming the callback, the event, the epoch and the batch, after the step tensors are released', async () => {
  const failure = new Error('callback failed');
  const { model, loop } = setup(2, 1, 4, { callbacks: [function clipper(l, e) { if (e === 'updateStart' && l.batchIndex === 1) throw failure; }] });
  const before = memory().tensors;
  const error = await loop.fit(model, { epochs: 1 }).then(() => undefined, (e: unknown) => e);
  assert.instance(error, CallbackError);
  assert.instance(error, TensorLoopError);
  assert.is((error as CallbackError).cause, failure);
  assert.is((error as CallbackError).message, "TrainingLoop: callback 1 (clipper) threw at updateStart (epoch 1/1, training batch 2/2): callback failed");
  assert.equal([(error as CallbackError).event, (error as CallbackError).epochIndex, (error as CallbackError).batchIndex], ['updateStart', 0, 1]);
  assert.is(memory().tensors, before);
  assert.is(loop.lastStepOutput, undefined);
});

test('callbacks may be objects with a method per event; their errors name the class', async () => {
  const seen: string[] = [];
  class Watcher {
    onEpochEnd(l: TrainingLoopState) {
      seen.push(`epochEnd ${l.epochIndex}`);
    }
    onBatchEnd(l: TrainingLoopState, e: TrainingLoopEvent) {
      if (!l.isTraining) seen.push(`${e} ${l.batchIndex}`);
    }
  }
  const { model, loop } = setup(1, 2, 4, { callbacks: [new Watcher(), { onFitEnd: () => void seen.push('fitEnd') }] });
  await loop.fit(model, { epochs: 1 });
  assert.equal(seen, ['batchEnd 0', 'batchEnd 1', 'epochEnd 0', 'fitEnd']);
  class Broken {
    onFitStart() {
      throw new Error('no');
    }
  }
  const broken = setup(1, 1, 4, { callbacks: [new Broken()] });
  await broken.loop.fit(broken.model, { epochs: 1 }).then(() => assert.unreachable(), (e: unknown) => assert.match(String(e), /callback 1 \(Broken\) threw at fitStart \(outside any epoch\): no/));
  assert.throws(() => setup(1, 1, 4, { callbacks: [{ log() {} } as never] }), /callback 0 \(an object\) has no event method/);
  assert.throws(() => setup(1, 1, 4, { callbacks: [42 as never] }), /callback 0 must be a function/);
});

test('fit returns the History: per-epoch statistics of both phases, the learning rate, the epochs run', async () => {
  const { model, loop } = setup(2, 1, 4, { callbacks: [(l, e) => void (e === 'batchStart' && (l.optimizer.learningRate = 0.1 / ((l.epochIndex ?? 0) + 1)))] });
  const logs: Record<string, number[]> = { training: [], validation: [] };
  const history = await loop.fit(model, {
    epochs: 3,
    callbacks: [(l, e) => void ((e === 'trainingEnd' || e === 'validationEnd') && logs[e === 'trainingEnd' ? 'training' : 'validation']!.push(l.lastStatsLog![1]!.value))],
  });
  assert.is(history.epochCount, 3);
  assert.equal(history.epochs, [0, 1, 2]);
  assert.equal(Object.keys(history.training), ['loss', 'accuracy']);
  assert.equal(history.training.accuracy, logs.training);
  assert.equal(history.validation.accuracy, logs.validation);
  assert.equal(history.learningRate, [0.1, 0.05, 0.1 / 3]);
  assert.is(history.last('validation', 'accuracy'), logs.validation[2]);
  // stopped early: the History holds the epochs that ran; a cancelled validation gives NaN
  const stopped = setup(2, 1, 4, { callbacks: [thrower('cancelValidation', 'validationStart'), thrower('cancelFit', 'epochStart', (l) => l.epochIndex === 1)] });
  const short = await stopped.loop.fit(stopped.model, { epochs: 5 });
  assert.is(short.epochCount, 1);
  assert.ok(Number.isNaN(short.validation.loss?.[0] ?? Number.NaN));
  assert.is(short.training.loss!.length, 1);
});

test('data mistakes: a flat list of batches, and fewer epochs of batches than epochs, are clear errors before any epoch', async () => {
  const model = new Linear(4, 3);
  const batches = toyBatches(8, 4);
  const options = { validation: batches, optimizer: new SGD(model), lossFunction: softmaxCrossEntropy, progress: false as const };
  assert.throws(() => new TrainingLoop({ training: batches as never, ...options }), /flat list of 2 batches, but it must hold one collection of batches per epoch/);
  const rows: TraceRow[] = [];
  const loop = new TrainingLoop({ training: [batches], ...options, callbacks: [tracer(rows)] });
  await loop.fit(model, { epochs: 3 }).then(() => assert.unreachable(), (e: unknown) => assert.match(String(e), /holds 1 collection\(s\) of batches, one per epoch, but epochs is 3/));
  assert.equal(rows, [], 'nothing ran');
  await loop.fit(model, { epochs: 1 });
  assert.is(events(rows)[0], 'fitStart');
  // a finite iterable (not an array) that runs out is an error too, not a silent stop
  function* twoEpochs() {
    yield batches;
    yield batches;
  }
  const generatorLoop = new TrainingLoop({ training: twoEpochs(), ...options });
  await generatorLoop.fit(model, { epochs: 3 }).then(() => assert.unreachable(), (e: unknown) => assert.match(String(e), /ran out after 2 of 3 epochs/));
});

test('a model error propagates unchanged, after the step tensors are released', async () => {
  const { model, loop } = setup();
  const original = model.forward.bind(model);
  let calls = 0;
  model.forward = (x) => {
    if (++calls === 2) throw new TensorLoopError('forward exploded');
    return original(x);
  };
  const before = memory().tensors;
  await loop.fit(model, { epochs: 1 }).then(() => assert.unreachable(), (e: unknown) => assert.match(String(e), /forward exploded/));
  assert.is(memory().tensors, before);
});

test('memory stays flat over 10 epochs', async () => {
  const live: number[] = [];
  const { model, loop } = setup(3, 2, 4, { metrics: ['accuracy', 'top5Accuracy', 'matthewsCorrelationCoefficient', 'perplexity'], callbacks: [(_l, e) => void (e === 'epochEnd' && live.push(memory().tensors))] });
  const before = memory();
  await loop.fit(model, { epochs: 10 });
  assert.is(live.length, 10);
  // ≤: the loop lets the event loop turn, so the GC may free earlier tests' dropped tensors meanwhile
  // ≤, not =: the GC may free earlier tests' dropped tensors at any turn of the event loop
  assert.ok(live.every((n, i) => i === 0 || n <= live[i - 1]!), `live tensors per epoch never grow: ${live.join(' ')}`);
  assert.ok(memory().tensors <= before.tensors && memory().bytes <= before.bytes, 'fit left nothing behind');
});

test('at most one readback per batch, and one per phase with the endOfEpoch trigger', async () => {
  const count = async (trigger?: 'endOfEpoch') => {
    const { model, loop } = setup(3, 2, 4, { metrics: ['accuracy', 'matthewsCorrelationCoefficient'] });
    if (trigger) loop.statisticsRecorder!.setReportTrigger(trigger);
    const read = cpu.read.bind(cpu);
    let reads = 0;
    cpu.read = (...args) => {
      reads++;
      return read(...args);
    };
    try {
      await loop.fit(model, { epochs: 2 });
    } finally {
      cpu.read = read;
    }
    return reads;
  };
  assert.is(await count(), 2 * (3 + 2));
  assert.is(await count('endOfEpoch'), 2 * 2);
});

test('a batch cancelled at batchStart is not counted again with the previous batch\'s values', async () => {
  const logs: number[] = [];
  const outputs: unknown[] = [];
  const { model, loop } = setup(2, 1, 4, {
    callbacks: [
      thrower('cancelBatch', 'batchStart', (l) => l.isTraining && l.batchIndex === 1),
      (l, e) => {
        if (e !== 'batchEnd' || !l.isTraining) return;
        logs.push(l.lastStatsLog![0]!.value);
        outputs.push(l.lastStepOutput);
      },
    ],
  });
  await loop.fit(model, { epochs: 1 });
  assert.is(logs.length, 2);
  assert.is(logs[1], logs[0], 'the cancelled batch added nothing to the running loss');
  assert.ok(outputs[0] !== undefined && outputs[1] === undefined, 'the cancelled batch shows no stale output');
});

test('per-fit callbacks run after the loop\'s own and are removed after fit', async () => {
  const order: string[] = [];
  const { model, loop } = setup(1, 1, 4, { callbacks: [(_l, e) => void (e === 'fitStart' && order.push('own'))] });
  await loop.fit(model, { epochs: 1, callbacks: [async (_l, e) => { if (e === 'fitStart') { await new Promise((r) => setTimeout(r, 5)); order.push('per-fit'); } }] });
  await loop.fit(model, { epochs: 1 });
  assert.equal(order, ['own', 'per-fit', 'own']);
});

test('bad arguments are TensorLoopErrors', async () => {
  const { model, loop } = setup();
  await loop.fit(model, { epochs: -1 }).then(() => assert.unreachable(), (e: unknown) => assert.instance(e, TensorLoopError));
  assert.throws(() => new TrainingLoop({ training: 5 as never, validation: [], optimizer: new SGD(model), lossFunction: softmaxCrossEntropy }), /training/);
});

test.run();
