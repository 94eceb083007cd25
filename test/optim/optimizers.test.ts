// Each optimizer against a hand-computed sequence of three steps (plain float64 loops in
// the test), plus the mutable learning rate, state round trip, bad input, and flat memory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Module } from '../../src/nn/module.js';
import { keep, endScope, startScope } from '../../src/memory.js';
import { type Tensor, liveTensorCount, tensor } from '../../src/tensor.js';
import { cpu } from '../../src/device/cpu.js';
import { Adam, AdamW, RMSProp, SGD, type Optimizer } from '../../src/optim/index.js';
import { TensorLoopError } from '../../src/errors.js';
import { assertClose } from '../helpers/assert.js';

class Pair extends Module {
  w = keep(tensor([0.5, -1.5]));
  b = keep(tensor([2]));
  forward(x: Tensor): Tensor {
    return x;
  }
}

// Fixed gradients for three steps.
const GRADS = [
  { w: [0.1, -0.2], b: [1] },
  { w: [-0.3, 0.4], b: [0.5] },
  { w: [0.2, 0.2], b: [-2] },
];

function gradMap(i: number): Map<string, Tensor> {
  return new Map([['w', tensor(GRADS[i]!.w)], ['b', tensor(GRADS[i]!.b)]]);
}

/** Runs three steps; returns [w, b] after each. */
async function run(optimizer: (m: Pair) => Optimizer): Promise<number[][]> {
  const model = new Pair();
  const opt = optimizer(model);
  const out: number[][] = [];
  for (let i = 0; i < 3; i++) {
    opt.update(model, gradMap(i));
    out.push([...(await model.w.data()), ...(await model.b.data())]);
  }
  return out;
}

/** Hand computation: one scalar parameter at a time with a scalar rule. */
function expected(rule: (p: number, g: number, s: Record<string, number>, t: number) => number): number[][] {
  const p = [0.5, -1.5, 2];
  const states: Record<string, number>[] = [{}, {}, {}];
  const out: number[][] = [];
  for (let t = 1; t <= 3; t++) {
    const g = [...GRADS[t - 1]!.w, ...GRADS[t - 1]!.b];
    for (let k = 0; k < 3; k++) p[k] = rule(p[k]!, g[k]!, states[k]!, t);
    out.push([...p]);
  }
  return out;
}

test('SGD: p ← p − ηg', async () => {
  const got = await run((m) => new SGD(m, { learningRate: 0.1 }));
  assertClose(got.flat(), expected((p, g) => p - 0.1 * g).flat(), { atol: 1e-6 });
});

test('SGD with momentum, Nesterov and weight decay matches the PyTorch formulas', async () => {
  const mu = 0.9;
  const wd = 0.01;
  const got = await run((m) => new SGD(m, { learningRate: 0.1, momentum: mu, nesterov: true, weightDecay: wd }));
  const want = expected((p, g, s) => {
    const gg = g + wd * p;
    s.b = mu * (s.b ?? 0) + gg;
    return p - 0.1 * (gg + mu * s.b);
  });
  assertClose(got.flat(), want.flat(), { atol: 1e-6 });
  const plain = await run((m) => new SGD(m, { learningRate: 0.1, momentum: mu }));
  const plainWant = expected((p, g, s) => {
    s.b = mu * (s.b ?? 0) + g;
    return p - 0.1 * s.b;
  });
  assertClose(plain.flat(), plainWant.flat(), { atol: 1e-6 });
});

function adamRule(lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean) {
  return (p: number, g: number, s: Record<string, number>, t: number): number => {
    if (decoupled) p = p - lr * wd * p;
    else g = g + wd * p;
    s.m = b1 * (s.m ?? 0) + (1 - b1) * g;
    s.v = b2 * (s.v ?? 0) + (1 - b2) * g * g;
    const mHat = s.m / (1 - b1 ** t);
    const vHat = s.v / (1 - b2 ** t);
    return p - (lr * mHat) / (Math.sqrt(vHat) + eps);
  };
}

test('Adam: bias-corrected moments over three steps', async () => {
  const got = await run((m) => new Adam(m, { learningRate: 0.01 }));
  assertClose(got.flat(), expected(adamRule(0.01, 0.9, 0.999, 1e-8, 0, false)).flat(), { atol: 1e-6 });
  const l2 = await run((m) => new Adam(m, { learningRate: 0.01, beta1: 0.8, beta2: 0.99, weightDecay: 0.1 }));
  assertClose(l2.flat(), expected(adamRule(0.01, 0.8, 0.99, 1e-8, 0.1, false)).flat(), { atol: 1e-6 });
});

test('AdamW: decoupled weight decay (default 0.01)', async () => {
  const got = await run((m) => new AdamW(m, { learningRate: 0.05 }));
  assertClose(got.flat(), expected(adamRule(0.05, 0.9, 0.999, 1e-8, 0.01, true)).flat(), { atol: 1e-6 });
  const adam = await run((m) => new Adam(m, { learningRate: 0.05, weightDecay: 0.01 }));
  assert.not.equal(adam[2], got[2], 'decoupled decay differs from L2 decay');
});

test('RMSProp: running mean square', async () => {
  const got = await run((m) => new RMSProp(m, { learningRate: 0.01, rho: 0.9 }));
  const want = expected((p, g, s) => {
    s.s = 0.9 * (s.s ?? 0) + 0.1 * g * g;
    return p - (0.01 * g) / (Math.sqrt(s.s) + 1e-8);
  });
  assertClose(got.flat(), want.flat(), { atol: 1e-6 });
});

test('the learning rate is read at every step', async () => {
  const model = new Pair();
  const opt = new SGD(model, { learningRate: 0.1 });
  opt.update(model, gradMap(0));
  opt.learningRate = 1;
  opt.update(model, gradMap(1));
  assertClose(await model.b.data(), [2 - 0.1 * 1 - 1 * 0.5], { atol: 1e-6 });
});

test('a parameter without a gradient does not move; unknown paths and bad shapes throw before any change', async () => {
  const model = new Pair();
  const opt = new Adam(model);
  opt.update(model, new Map([['b', tensor([1])]]));
  assertClose(await model.w.data(), [0.5, -1.5]);
  const before = await model.b.data();
  assert.throws(() => opt.update(model, new Map([['b', tensor([1])], ['nope', tensor([1])]])), (e: Error) => e instanceof TensorLoopError && /'nope'/.test(e.message));
  assert.throws(() => opt.update(model, new Map([['b', tensor([1])], ['w', tensor([1, 2, 3])]])), (e: Error) => e instanceof TensorLoopError && /\[3\].*\[2\]/.test(e.message));
  assert.equal(await model.b.data(), before);
  assert.is(opt.step, 1);
  assert.throws(() => new SGD(model, { learningRate: -1 }), (e: Error) => e instanceof TensorLoopError);
  assert.throws(() => new Adam(model, { beta1: 1 }), (e: Error) => e instanceof TensorLoopError);
});

test('state() and loadState() continue a run exactly', async () => {
  const a = new Pair();
  const optA = new Adam(a, { learningRate: 0.01 });
  optA.update(a, gradMap(0));
  const b = new Pair();
  b.w.assign(tensor(await a.w.data()));
  b.b.assign(tensor(await a.b.data()));
  const optB = new Adam(b, { learningRate: 0.5 });
  optB.loadState(optA.state());
  assert.is(optB.step, 1);
  assert.is(optB.learningRate, 0.01);
  for (const i of [1, 2]) {
    optA.update(a, gradMap(i));
    optB.update(b, gradMap(i));
  }
  assert.equal(await b.w.data(), await a.w.data());
  assert.equal(await b.b.data(), await a.b.data());
  assert.throws(() => new SGD(b).loadState(optA.state()), (e: Error) => e instanceof TensorLoopError);
});

test('memory stays flat over 50 steps inside per-step scopes', async () => {
  for (const make of [(m: Pair) => new Adam(m), (m: Pair) => new SGD(m, { momentum: 0.9 }), (m: Pair) => new RMSProp(m)]) {
    const model = new Pair();
    const opt = make(model);
    let baseline = -1;
    for (let step = 0; step < 50; step++) {
      startScope();
      opt.update(model, gradMap(step % 3));
      endScope();
      if (step === 1) baseline = liveTensorCount(cpu);
    }
    assert.is(liveTensorCount(cpu), baseline, `${opt.constructor.name} live tensors`);
    assert.ok(!model.w.isDisposed);
  }
});

test.run();

test('loadState restores the hyperparameters (momentum, betas, rho), not only the learning rate', async () => {
  const a = new Pair();
  const b = new Pair();
  const cases: [Optimizer, Optimizer, Record<string, number | boolean>][] = [
    [new SGD(a, { momentum: 0.8, nesterov: true, weightDecay: 0.1 }), new SGD(b, { momentum: 0.9 }), { momentum: 0.8, nesterov: true, weightDecay: 0.1 }],
    [new Adam(a, { beta1: 0.85, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.2 }), new Adam(b), { beta1: 0.85, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.2 }],
    [new AdamW(a, { beta1: 0.7 }), new AdamW(b, { beta1: 0.9 }), { beta1: 0.7, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 }],
    [new RMSProp(a, { rho: 0.8, momentum: 0.5, centered: true, epsilon: 1e-4 }), new RMSProp(b, { momentum: 0.9, centered: true }), { rho: 0.8, epsilon: 1e-4, momentum: 0.5, centered: true }],
  ];
  for (const [from, to, expected] of cases) {
    from.update(a, gradMap(0));
    to.loadState(from.state());
    assert.equal(to.hyperparameters(), expected, from.constructor.name);
  }
  // different state slots cannot come from a load; refused before anything changes
  const withMomentum = new SGD(a, { momentum: 0.9 });
  withMomentum.update(a, gradMap(0));
  const plainState = new SGD(a);
  plainState.update(a, gradMap(0));
  assert.throws(() => withMomentum.loadState(plainState.state()), (e: Error) => e instanceof TensorLoopError && /velocity state/.test(e.message));
  assert.is(withMomentum.momentum, 0.9);
  assert.is(withMomentum.step, 1);
  const centered = new RMSProp(b, { centered: true });
  assert.throws(() => centered.loadState({ ...new RMSProp(b).state(), hyperparameters: { learningRate: 0.1, rho: 0.9, epsilon: 1e-8, momentum: 0, centered: false } }), /other state slots/);
  assert.throws(() => new Adam(b).loadState({ type: 'Adam', step: 0, hyperparameters: { beta1: 1.5 }, tensors: [] }), (e: Error) => e instanceof TensorLoopError && /beta1/.test(e.message));
  assert.throws(() => new Adam(b).loadState({ type: 'Adam', step: 0, hyperparameters: { gamma: 1 }, tensors: [] }), /unknown hyperparameter gamma/);
});
