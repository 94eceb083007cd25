// learningRateFinder on a tiny model: the curve and its suggestion, the model and the
// optimizer put back bit for bit (so a second run draws the same curve), the stop at
// divergence, the CSV and the SVG (well-formed XML with the curve's path), bad options.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpu } from '../../src/device/cpu.js';
import type { Device } from '../../src/device/device.js';
import { TrainingEpochs, inBatches } from '../../src/data/epochs.js';
import { ImageSamples } from '../../src/data/samples.js';
import { BatchNorm, Dense, Dropout, Sequential } from '../../src/nn/index.js';
import { Random } from '../../src/random.js';
import { TensorLoopError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';
import { learningRateFinder } from '../../src/loop/callbacks/lr-finder.js';
import { suggestRates, valleyIndex } from '../../src/loop/callbacks/lr-finder-suggestions.js';
import { TrainingLoop } from '../../src/loop/training-loop.js';
import { softmaxCrossEntropy } from '../../src/losses/index.js';
import { Adam, SGD } from '../../src/optim/index.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { testDevices } from '../helpers/devices.js';
import { Linear, toyBatches } from './helpers.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'lr-finder-'));
const QUIET = { log: false, csvPath: null, svgPath: null, progress: false } as const;

function setup(device: Device | undefined, optimizer: (m: Linear) => Optimizer, batches = 4) {
  const model = new Linear(4, 3, device);
  const training = toyBatches(batches * 8, 8, device);
  const opt = optimizer(model);
  const loop = new TrainingLoop({ training: [training], validation: toyBatches(8, 8, device, 5), optimizer: opt, lossFunction: softmaxCrossEntropy, progress: false });
  return { model, loop, optimizer: opt, training };
}

/** Every bit of the parameters and of the optimizer's state (as uint32 words: NaN-safe). */
async function bits(model: { namedParameters(): [string, Tensor][] }, optimizer: Optimizer): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [path, t] of model.namedParameters()) out[`param/${path}`] = Array.from(new Uint32Array((await t.data()).buffer));
  const state = optimizer.state();
  for (const [key, t] of state.tensors) out[`state/${key}`] = Array.from(new Uint32Array((await t.data()).buffer));
  out.scalars = [state.step, optimizer.learningRate];
  return out;
}

for (const device of await testDevices()) {
  const on = `[${device.name}]`;

  test(`learningRateFinder puts the model and the optimizer back bit for bit; a second run draws the same curve ${on}`, async () => {
    const { model, loop, optimizer, training } = setup(device, (m) => new Adam(m, { learningRate: 1e-3 }));
    await loop.fit(model, { epochs: 1 }); // the optimizer now has state (Adam's m and v, step 4)
    model.eval();
    const before = await bits(model, optimizer);
    const first = await learningRateFinder(loop, model, { steps: 12, startRate: 1e-4, endRate: 1, ...QUIET });
    assert.equal(await bits(model, optimizer), before, 'parameters, Adam state, step and learning rate');
    assert.is(model.training, false, 'eval mode restored');
    assert.is(loop.globalStep, 4, "the user's loop did not move");
    assert.is(first.rates.length, 12, '12 steps over 4 batches: the epoch repeats');
    assert.is(first.stopReason, 'steps');
    const second = await learningRateFinder(loop, model, { steps: 12, startRate: 1e-4, endRate: 1, ...QUIET });
    assert.equal(second.losses, first.losses, 'same start, same curve (fastai #2892: optimizer state not restored)');
    assert.ok(training.every((b) => !b.data.isDisposed), 'the data lives on');
  });
}

test('a fit after learningRateFinder is bit for bit the fit without it: TrainingEpochs order, Dropout stream, BatchNorm statistics, SGD momentum', async () => {
  const run = async (findFirst: boolean) => {
    const random = new Random(3);
    const pixels = Uint8Array.from({ length: 48 * 4 }, () => random.int(256));
    const labels = Uint8Array.from({ length: 48 }, (_, i) => i % 3);
    const samples = new ImageSamples(pixels, labels, [4], cpu);
    const model = new Sequential(new Dense(4, 16, { activation: 'relu', seed: 1 }), new BatchNorm(16), new Dropout(0.3, { seed: 2 }), new Dense(16, 3, { seed: 3 }));
    const optimizer = new SGD(model, { learningRate: 0.05, momentum: 0.9 });
    const training = new TrainingEpochs(samples, { batchSize: 8, seed: 4 });
    const losses: number[] = [];
    const loop = new TrainingLoop({
      training,
      validation: inBatches(samples, 16),
      optimizer,
      lossFunction: softmaxCrossEntropy,
      progress: false,
      callbacks: [{ async onBatchEnd(l) { if (l.isTraining) losses.push(await l.lastStepLoss!.item()); } }],
    });
    await loop.fit(model, { epochs: 1 });
    const state = async () => JSON.stringify([training.state(), (model.layers[2] as Dropout).randomState(), await Promise.all(model.namedState().map(async ([, t]) => Array.from(await t.data())))]);
    const before = await state();
    if (findFirst) {
      const r = await learningRateFinder(loop, model, { steps: 15, startRate: 1e-3, endRate: 10, ...QUIET });
      assert.is(r.rates.length, 15, 'ran over two epochs of the data');
      assert.is(await state(), before, 'data order, Dropout stream and BatchNorm statistics put back');
    }
    await loop.fit(model, { epochs: 2 });
    return { losses, weights: await bits(model, optimizer) };
  };
  const plain = await run(false);
  const withFinder = await run(true);
  assert.equal(withFinder.losses, plain.losses);
  assert.equal(withFinder.weights, plain.weights);
});

test('the curve: rates grow geometrically from startRate to endRate; losses smoothed as fastai; the suggestion is one of the rates', async () => {
  const { model, loop } = setup(undefined, (m) => new SGD(m, { learningRate: 0.1, momentum: 0.9 }));
  const r = await learningRateFinder(loop, model, { steps: 20, startRate: 1e-3, endRate: 1, divergenceFactor: false, ...QUIET });
  assert.is(r.rates.length, 20);
  assert.ok(Math.abs(r.rates[0]! - 1e-3) < 1e-15 && Math.abs(r.rates[19]! - 1) < 1e-12, `${r.rates[0]} … ${r.rates[19]}`);
  for (let i = 1; i < 20; i++) assert.ok(Math.abs(r.rates[i]! / r.rates[i - 1]! - 1000 ** (1 / 19)) < 1e-9, 'a constant ratio');
  // debiased EMA, β = 0.98: s_1 = l_1; s_2 = (0.98·0.02·l_1 + 0.02·l_2) / (1 − 0.98²)
  assert.ok(Math.abs(r.smoothedLosses[0]! - r.losses[0]!) < 1e-12);
  const s2 = (0.98 * 0.02 * r.losses[0]! + 0.02 * r.losses[1]!) / (1 - 0.98 ** 2);
  assert.ok(Math.abs(r.smoothedLosses[1]! - s2) < 1e-12);
  assert.ok(r.rates.includes(r.suggestion), 'the suggestion is a rate of the curve');
  assert.ok(r.suggestion >= 1e-3 && r.suggestion <= 1, `${r.suggestion} inside the range`);
  assert.is(r.suggestions.valley, r.suggestion);
  assert.ok(r.losses[19]! < r.losses[0]!, 'the toy problem learns over the range');
});

test('the test stops when the smoothed loss passes 4× its best; divergenceFactor false runs on', async () => {
  const { model, loop } = setup(undefined, (m) => new SGD(m, { learningRate: 0.1 }));
  const r = await learningRateFinder(loop, model, { steps: 60, startRate: 1e-2, endRate: 1e6, ...QUIET });
  assert.is(r.stopReason, 'diverged');
  assert.ok(r.rates.length < 60, `stopped at ${r.rates.length}`);
  const last = r.smoothedLosses.at(-1)!;
  const best = Math.min(...r.smoothedLosses.slice(0, -1));
  assert.ok(!(last <= 4 * best), `last ${last} > 4 × best ${best}`);
  assert.ok(r.smoothedLosses.slice(0, -1).every((s, i, all) => s <= 4 * Math.min(...all.slice(0, i + 1))), 'no earlier point passed it');
  assert.ok(r.suggestion < r.rates.at(-1)!, 'the suggestion lies before the divergence');
  const all = await learningRateFinder(loop, model, { steps: 60, startRate: 1e-2, endRate: 1e6, divergenceFactor: false, ...QUIET });
  assert.is(all.rates.length, 60);
});

test("fastai's valley: half way along the longest falling stretch; NaN ends the usable curve", () => {
  // falling from index 2 to 11 (10 points), then rising
  const losses = [5, 6, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0.5, 2, 8, 30];
  // lds at 11 is 10 (indices 2…11); maxStart = 11 − 10 = 1; sections = 10/3 → 1 + 3 + 1 = 5
  assert.is(valleyIndex(losses), 5);
  const rates = losses.map((_, i) => 10 ** (i - 7));
  const s = suggestRates(rates, losses, 10); // skips 1 at the start and 5 at the end: indices 1 … 9
  assert.is(s.valley, rates[valleyIndex(losses.slice(1, 10)) + 1]);
  assert.is(s.minimum, rates[9]! / 10);
  const withNaN = suggestRates(rates, [...losses.slice(0, 6), NaN, ...losses.slice(7)], 0);
  // usable: indices 0 … 5 = [5, 6, 9, 8, 7, 6]: the lowest is the first
  assert.is(withNaN.minimum, rates[0]! / 10, 'points from the NaN on are dropped (else 0.5 at index 11 would win)');
  assert.ok(withNaN.valley < rates[6]! && withNaN.steep < rates[6]!);
});

test('the CSV and the SVG: written to the paths, returned as text; the SVG is well-formed XML holding the curve', async () => {
  const dir = tmp();
  const { model, loop } = setup(undefined, (m) => new SGD(m, { learningRate: 0.1 }));
  const lines: string[] = [];
  const csvPath = join(dir, 'lr.csv');
  const svgPath = join(dir, 'plot', 'lr.svg');
  const r = await learningRateFinder(loop, model, { steps: 10, startRate: 1e-3, endRate: 1, csvPath, svgPath, log: (m) => lines.push(m) });
  assert.is(readFileSync(csvPath, 'utf8'), r.csv);
  assert.is(readFileSync(svgPath, 'utf8'), r.svg);
  const rows = r.csv.trim().split('\n');
  assert.is(rows[0], 'step,learning_rate,loss,smoothed_loss');
  assert.is(rows.length, 11);
  assert.equal(rows[1]!.split(',').map(Number).slice(0, 2), [1, 0.001]);
  const root = parseXml(r.svg);
  assert.is(root.name, 'svg');
  assert.is(root.attributes.xmlns, 'http://www.w3.org/2000/svg');
  const paths = findAll(root, 'path');
  assert.is(paths.length, 2, 'the raw and the smoothed curve');
  const points = paths[1]!.attributes.d!.match(/[ML][\d.-]+ [\d.-]+/g)!;
  assert.is(points.length, 10, 'one point per step');
  assert.ok(findAll(root, 'text').some((t) => /suggested/.test(t.text)), 'the suggestion is labelled');
  assert.is(lines.length, 1);
  assert.match(lines[0]!, /^learningRateFinder: 0\.001 → 1, 10 steps; suggested learning rate [\d.e-]+ \(valley; steep .*\); curve in .*lr\.csv and .*lr\.svg$/);
});

test('on a terminal a progress line is rewritten in place, never wider than it, and cleared before the summary', async () => {
  const { model, loop } = setup(undefined, (m) => new SGD(m, { learningRate: 0.1 }));
  const writes: string[] = [];
  const order: string[] = [];
  const output = { isTTY: true, columns: 50, write: (text: string) => void (writes.push(text), order.push('progress')) };
  await learningRateFinder(loop, model, { ...QUIET, steps: 8, startRate: 1e-3, endRate: 1, progress: output, log: () => void order.push('summary') });
  assert.ok(writes.length >= 2, 'a first line and the clearing');
  for (const w of writes.slice(0, -1)) {
    assert.ok(w.startsWith('\r') && w.endsWith('\x1b[K'), JSON.stringify(w));
    assert.ok(w.length - '\r\x1b[K'.length < 50, `${w.length - 4} columns: ${JSON.stringify(w)}`);
  }
  assert.match(writes[0]!, /^\rlearningRateFinder 1\/8 \[/);
  assert.match(writes.at(-2)!, /^\rlearningRateFinder 8\/8 \[={10}\]/, 'the last step always draws');
  assert.is(writes.at(-1), '\r\x1b[K');
  assert.is(order.at(-1), 'summary', 'the summary comes after the cleared line');
});

test('bad options are TensorLoopErrors before anything runs', async () => {
  const { model, loop, optimizer } = setup(undefined, (m) => new SGD(m, { learningRate: 0.1 }));
  const before = await bits(model, optimizer);
  const fails = async (options: object, pattern: RegExp) => {
    let error: unknown;
    await learningRateFinder(loop, model, { ...QUIET, ...options }).catch((e: unknown) => (error = e));
    assert.instance(error, TensorLoopError);
    assert.match((error as Error).message, pattern);
  };
  await fails({ startRate: 0 }, /^learningRateFinder: startRate must be a finite number > 0, got 0/);
  await fails({ endRate: 1e-8 }, /endRate must be finite and above startRate/);
  await fails({ steps: 1 }, /steps must be an integer ≥ 2, got 1/);
  await fails({ divergenceFactor: 1 }, /divergenceFactor must be a number > 1 or false/);
  await fails({ smoothing: 1 }, /smoothing must be in \[0, 1\)/);
  await fails({ csvPath: 'curve.svg' }, /csvPath must end in \.csv/);
  await fails({ stepCount: 10 }, /unknown option 'stepCount'/);
  const noState = new TrainingLoop({ training: [toyBatches(8, 8)], validation: [], optimizer: { learningRate: 0.1, update() {} }, lossFunction: softmaxCrossEntropy, progress: false });
  let error: unknown;
  await learningRateFinder(noState, model, QUIET).catch((e: unknown) => (error = e));
  assert.match((error as Error).message, /the optimizer needs state\(\) and loadState\(\)/);
  assert.equal(await bits(model, optimizer), before);
});

// ------------------------------------------------------------------ a strict little XML reader
// (well-formedness only: one root, every tag closed in order, attributes quoted and unique,
// only the five predefined entities; enough to catch a broken SVG writer)
interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

function parseXml(source: string): XmlElement {
  let at = 0;
  const fail = (what: string): never => assert.unreachable(`not well-formed XML at ${at}: ${what} (…${source.slice(at, at + 40)}…)`) as never;
  const checkText = (text: string) => {
    if (/[<]/.test(text)) fail('a raw < in text');
    for (const m of text.matchAll(/&([^;]*);?/g)) if (!['amp', 'lt', 'gt', 'quot', 'apos'].includes(m[1]!) || !m[0].endsWith(';')) fail(`entity ${m[0]}`);
  };
  if (source.startsWith('<?xml')) at = source.indexOf('?>') + 2;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (at < source.length) {
    const next = source.indexOf('<', at);
    const text = source.slice(at, next < 0 ? source.length : next);
    if (stack.length === 0 && text.trim() !== '') fail('text outside the root');
    checkText(text);
    if (stack.length > 0) stack.at(-1)!.text += text;
    if (next < 0) break;
    at = next;
    const close = /^<\/([A-Za-z][\w:-]*)\s*>/.exec(source.slice(at));
    if (close) {
      if (stack.pop()?.name !== close[1]) fail(`</${close[1]}> closes the wrong element`);
      at += close[0].length;
      continue;
    }
    const open = /^<([A-Za-z][\w:-]*)((?:\s+[A-Za-z][\w:-]*="[^"<]*")*)\s*(\/?)>/.exec(source.slice(at));
    if (!open) fail('a malformed tag');
    const attributes: Record<string, string> = {};
    for (const m of open![2]!.matchAll(/([A-Za-z][\w:-]*)="([^"]*)"/g)) {
      if (m[1]! in attributes) fail(`attribute ${m[1]} twice`);
      checkText(m[2]!);
      attributes[m[1]!] = m[2]!;
    }
    const element: XmlElement = { name: open![1]!, attributes, children: [], text: '' };
    if (stack.length > 0) stack.at(-1)!.children.push(element);
    else if (root) fail('a second root');
    else root = element;
    if (open![3] !== '/') stack.push(element);
    at += open![0].length;
  }
  if (stack.length > 0) fail(`<${stack.at(-1)!.name}> never closed`);
  return root ?? fail('no root');
}

function findAll(element: XmlElement, name: string): XmlElement[] {
  return [...(element.name === name ? [element] : []), ...element.children.flatMap((c) => findAll(c, name))];
}

test.run();
