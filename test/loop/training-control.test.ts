// Callbacks and options that steer training: earlyStopping, reduceLearningRateOnPlateau,
// oneCycle, gradientClipNorm, accumulateGradients, and a warm-up longer than the run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Adam, SGD } from '../../src/optim/index.js';
import { earlyStopping } from '../../src/loop/callbacks/early-stopping.js';
import { ScheduleSegment, linear, makeSchedule } from '../../src/loop/callbacks/learning-rate-schedule.js';
import { oneCycle } from '../../src/loop/callbacks/one-cycle.js';
import { reduceLearningRateOnPlateau } from '../../src/loop/callbacks/reduce-lr-on-plateau.js';
import type { Metric } from '../../src/loop/metrics.js';
import type { LoopOptimizer } from '../../src/loop/state.js';
import { TrainingLoop, type TrainingLoopOptions } from '../../src/loop/training-loop.js';
import { softmaxCrossEntropy } from '../../src/losses/index.js';
import { Linear, parameterValues, toyBatches } from './helpers.js';

/** A validation metric that reports the next value of `values` at each epoch. */
function scripted(values: number[]): Metric {
  let phase = -1;
  return { name: 'score', reset: () => void phase++, update() {}, result: () => values[phase]! };
}

function setup(extra: Partial<Omit<TrainingLoopOptions, 'optimizer'>> & { optimizer?: (m: Linear) => LoopOptimizer } = {}, trainBatches = 2) {
  const model = new Linear(4, 3);
  const training = toyBatches(trainBatches * 4, 4);
  const { optimizer, ...rest } = extra;
  const loop = new TrainingLoop({
    training: Array.from({ length: 20 }, () => training),
    validation: toyBatches(4, 4, undefined, 5),
    optimizer: optimizer ? optimizer(model) : new SGD(model, { learningRate: 0.1 }),
    lossFunction: softmaxCrossEntropy,
    progress: false,
    ...rest,
  });
  return { model, loop };
}

test('earlyStopping: stops after `patience` epochs without improvement and restores the best weights', async () => {
  // validation score per epoch (reset once per phase: training, then validation → every 2nd value)
  const values = [9, 3, 9, 2, 9, 2.5, 9, 2.6, 9, 1, 9, 0.5];
  const weightsAt: number[][] = [];
  const lines: string[] = [];
  const stopper = earlyStopping({ monitor: 'score', mode: 'min', patience: 2, restoreBestWeights: true, log: (m) => lines.push(m) });
  const { model, loop } = setup({ metrics: [scripted(values)], callbacks: [{ onEpochEnd: async (l) => void weightsAt.push(await parameterValues(l.model as Linear)) }, stopper] });
  const history = await loop.fit(model, { epochs: 6 });
  assert.equal(history.validation.score, [3, 2, 2.5, 2.6]);
  assert.is(history.epochCount, 4, 'epochs 3 and 4 did not improve on epoch 2: stopped');
  assert.is(stopper.stoppedEpoch, 3);
  assert.is(stopper.bestEpoch, 1);
  assert.equal(await parameterValues(model), weightsAt[1], 'the weights of epoch 2 are back');
  assert.match(lines[0]!, /validation\.score has not improved on 2 \(epoch 2\) for 2 epoch\(s\); stopping with the best weights restored/);
  assert.throws(() => earlyStopping({ monitor: 'score', patience: -1 }), /patience/);
  assert.throws(() => earlyStopping({ monitor: 'test.loss' }), /must start with 'training.' or 'validation.'/);
  const wrong = setup({ callbacks: [earlyStopping({ monitor: 'accuracy' })] });
  await wrong.loop.fit(wrong.model, { epochs: 1 }).then(() => assert.unreachable(), (e: unknown) => assert.match(String(e), /monitor 'validation.accuracy' is not among the validation statistics \(loss\)/));
});

test('reduceLearningRateOnPlateau: multiplies the rate by factor after patience epochs without improvement, not below minRate', async () => {
  const values = [9, 3, 9, 3, 9, 3, 9, 2, 9, 2, 9, 2, 9, 2];
  const { model, loop } = setup({ metrics: [scripted(values)], callbacks: [reduceLearningRateOnPlateau({ monitor: 'score', mode: 'min', factor: 0.5, patience: 2, minRate: 0.03, log: () => {} })] });
  const history = await loop.fit(model, { epochs: 7 });
  // the rate is logged at trainingEnd, before the epoch's decision
  assert.equal(history.learningRate, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.03]);
});

test('oneCycle: cosine up from maxRate/25 to maxRate over a quarter of the run, down to maxRate/1e4; momentum the other way', async () => {
  const rates: number[] = [];
  const momenta: number[] = [];
  const { model, loop } = setup(
    {
      optimizer: (m) => new SGD(m, { learningRate: 1, momentum: 0.9 }),
      callbacks: [oneCycle({ maxRate: 0.4 }), { onUpdateStart: (l) => void (rates.push(l.optimizer.learningRate), momenta.push((l.optimizer as SGD).momentum)) }],
    },
    4,
  );
  await loop.fit(model, { epochs: 4 }); // 16 steps, warm-up 4
  assert.is(rates.length, 16);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  close(rates[0]!, 0.4 / 25);
  close(rates[3]!, 0.4);
  close(rates[15]!, 0.4 / 1e4);
  close(rates[1]!, 0.4 / 25 + ((0.4 - 0.4 / 25) * (1 - Math.cos(Math.PI / 3))) / 2);
  assert.ok(rates.slice(3).every((r, i, a) => i === 0 || r < a[i - 1]!), 'anneals monotonically');
  close(momenta[0]!, 0.95);
  close(momenta[3]!, 0.85);
  close(momenta[15]!, 0.95);
  // Adam's beta1 cycles; momentum: false leaves it alone
  const adam = setup({ optimizer: (m) => new Adam(m), callbacks: [oneCycle({ maxRate: 1e-2 })] });
  await adam.loop.fit(adam.model, { epochs: 1 });
  close((adam.loop.optimizer as Adam).beta1, 0.95);
  const fixed = setup({ optimizer: (m) => new Adam(m), callbacks: [oneCycle({ maxRate: 1e-2, momentum: false })] });
  await fixed.loop.fit(fixed.model, { epochs: 1 });
  assert.is((fixed.loop.optimizer as Adam).beta1, 0.9);
  assert.throws(() => oneCycle({ maxRate: 0 }), /maxRate/);
});

test('gradientClipNorm: the update is scaled so that the gradients\' global norm is at most the limit', async () => {
  const change = async (gradientClipNorm?: number) => {
    const { model, loop } = setup({ gradientClipNorm }, 1);
    const before = await parameterValues(model);
    await loop.fit(model, { epochs: 1 });
    return Math.hypot(...(await parameterValues(model)).map((v, i) => v - before[i]!));
  };
  const free = await change();
  assert.ok(free > 0.01, `unclipped step ${free}`);
  assert.ok(Math.abs((await change(1e-3)) - 0.1 * 1e-3) < 1e-7, 'SGD moves by lr · maxNorm');
  assert.ok(Math.abs((await change(1e3)) - free) < 1e-7, 'a limit above the norm changes nothing');
  assert.throws(() => setup({ gradientClipNorm: 0 }), /gradientClipNorm/);
});

test('accumulateGradients: K batches of n train exactly like one batch of K·n', async () => {
  const big = toyBatches(16, 8);
  const small = toyBatches(16, 4); // the same 16 samples in batches of 4
  const run = async (batches: typeof big, accumulateGradients?: number) => {
    const model = new Linear(4, 3);
    const updates: number[] = [];
    const loop = new TrainingLoop({
      training: [batches, batches],
      validation: big,
      optimizer: new Adam(model, { learningRate: 0.05 }),
      lossFunction: softmaxCrossEntropy,
      progress: false,
      accumulateGradients,
      callbacks: [{ onUpdateStart: (l) => void updates.push(l.batchIndex!) }],
    });
    await loop.fit(model, { epochs: 2 });
    return { weights: await parameterValues(model), updates };
  };
  const once = await run(big);
  const accumulated = await run(small, 2);
  assert.equal(accumulated.updates, [1, 3, 1, 3], 'updateStart only on the batches that update');
  once.weights.forEach((w, i) => assert.ok(Math.abs(w - accumulated.weights[i]!) < 1e-6, `weight ${i}: ${w} vs ${accumulated.weights[i]}`));
  const plain = await run(small);
  assert.ok(plain.weights.some((w, i) => Math.abs(w - once.weights[i]!) > 1e-4), 'without accumulation the run differs');
  // a short last group is averaged over what it holds
  const odd = await run(toyBatches(12, 4), 2);
  assert.equal(odd.updates, [1, 2, 1, 2]);
  assert.throws(() => setup({ accumulateGradients: 0 }), /accumulateGradients must be an integer ≥ 1/);
});

test('a warm-up longer than the run shrinks to half of it, with a warning, instead of failing', () => {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => void warnings.push(m);
  try {
    const schedule = makeSchedule([new ScheduleSegment({ shape: linear, startRate: 0, endRate: 1, stepCount: 10 }), new ScheduleSegment({ shape: linear, endRate: 0 })])(4);
    assert.equal([0, 1, 2, 3].map((s) => schedule.rate(s)), [0, 1, 0.5, 0]);
    assert.is(warnings.length, 1);
    assert.match(warnings[0]!, /cover 10 steps but the run has only 4; shrinking them to 2 steps/);
  } finally {
    console.warn = warn;
  }
});

test.run();
