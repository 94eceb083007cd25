// The text-classifier example's wiring (synthetic agreement data → TransformerClassifier →
// TrainingLoop with MCC and the warm-up/decay schedule) on a tiny run, and its grammar.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Device } from '../../src/index.js';
import { testDevices } from '../helpers/devices.js';
import { NOUNS, SEQUENCE_LENGTH, VERBS, VOCABULARY, agreementDataset } from '../../examples/data/agreement.js';
import { judge, trainTextClassifier } from '../../examples/text-classifier.js';

test('agreement data: seeded, balanced, padded ids inside the vocabulary', () => {
  const a = agreementDataset(400, 7);
  const b = agreementDataset(400, 7);
  assert.equal(Array.from(a.tokens), Array.from(b.tokens));
  assert.equal(Array.from(a.labels), Array.from(b.labels));
  assert.not.equal(Array.from(agreementDataset(400, 8).tokens), Array.from(a.tokens));
  const positives = a.labels.reduce((s, l) => s + l, 0);
  assert.ok(positives > 150 && positives < 250, `${positives} of 400 grammatical`);
  assert.ok(a.tokens.every((id) => id >= 0 && id < VOCABULARY.length));
  a.sentences.forEach((s, i) => {
    assert.ok(s.words.length <= SEQUENCE_LENGTH);
    assert.ok(a.tokens[i * SEQUENCE_LENGTH + s.words.length - 1]! > 0);
    if (s.words.length < SEQUENCE_LENGTH) assert.is(a.tokens[i * SEQUENCE_LENGTH + s.words.length], 0);
  });
});

test('agreement data: label 1 exactly when the verb has the number of the first (head) noun', () => {
  // 0 singular, 1 plural, undefined when not a noun / verb (a verb is known by its first word)
  const nounNumber = (w: string) => NOUNS.find((pair) => pair.includes(w))?.indexOf(w);
  const verbNumber = (w: string) => VERBS.map((pair) => pair.map((v) => v.split(' ')[0])).find((pair) => pair.includes(w))?.indexOf(w);
  const { sentences } = agreementDataset(1000, 3);
  let attractors = 0;
  for (const { words, label } of sentences) {
    const nouns = words.map(nounNumber).filter((n) => n !== undefined);
    const verb = words.map(verbNumber).find((n) => n !== undefined);
    assert.is(label, nouns[0] === verb ? 1 : 0, words.join(' '));
    if (nouns.length === 2) {
      attractors++;
      assert.is.not(nouns[1], nouns[0], 'the attractor has the other number');
    }
  }
  assert.ok(attractors > 400 && attractors < 600, `${attractors} of 1000 sentences with an attractor`);
});

for (const device of await testDevices()) {
  test(`${device.name}: trainTextClassifier: 11 steps follow the warm-up/decay schedule and report loss and MCC`, async () => {
    const rates: number[] = [];
    const peak = 0.004;
    const result = await trainTextClassifier({
      device,
      epochs: 1,
      batchSize: 16,
      trainingSize: 176, // 11 batches: 10 warm-up steps, then the decay segment
      validationSize: 40,
      learningRate: peak,
      layerCount: 1,
      modelSize: 16,
      seed: 2,
      progress: false,
      callbacks: [(loop, event) => void (event === 'updateStart' && rates.push(loop.optimizer.learningRate))],
    });
    // 0 → peak over steps 0…9, then linear decay to 0 at the last step (10)
    const expected = [...Array.from({ length: 10 }, (_, i) => (peak * i) / 9), 0];
    assert.is(rates.length, 11);
    rates.forEach((r, i) => assert.ok(Math.abs(r - expected[i]!) < 1e-12, `step ${i}: ${r} vs ${expected[i]}`));
    assert.ok(Number.isFinite(result.training.loss) && result.training.loss! > 0);
    assert.ok(Number.isFinite(result.validation.loss));
    assert.ok(result.validation.mcc! >= -1 && result.validation.mcc! <= 1);
    assert.is(result.batchesPerEpoch, 11);
    const p = await judge(result.model, ['the dog runs', 'the dogs runs'], device);
    assert.is(p.length, 2);
    assert.ok(p.every((x) => x > 0 && x < 1));
    await judge(result.model, ['the unicorn flies'], device).then(
      () => assert.unreachable('an unknown word must be an error'),
      (error: Error) => assert.match(error.message, /not a sentence of the grammar/),
    );
  });
}

test('cpu: a run shorter than the 10-step warm-up (--epochs 1 --training-size 128, 4 steps) shrinks the warm-up with a warning instead of failing', async () => {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => void warnings.push(m);
  const rates: number[] = [];
  try {
    await trainTextClassifier({
      device: Device.cpu,
      epochs: 1,
      batchSize: 32,
      trainingSize: 128,
      validationSize: 32,
      learningRate: 0.004,
      layerCount: 1,
      modelSize: 16,
      seed: 2,
      progress: false,
      callbacks: [(loop, event) => void (event === 'updateStart' && rates.push(loop.optimizer.learningRate))],
    });
  } finally {
    console.warn = warn;
  }
  assert.equal(rates, [0, 0.004, 0.002, 0]);
  assert.match(warnings.join('\n'), /cover 10 steps but the run has only 4; shrinking them to 2 steps/);
});

test.run();
