// The GPT example's wiring (character windows → causal GPT → TrainingLoop with perplexity
// and the TensorBoard logger) on a tiny run, its data windows, and sampling.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Device } from '../../src/index.js';
import { testDevices } from '../helpers/devices.js';
import { CharText } from '../../examples/data/char-text.js';
import { generate, trainGPT } from '../../examples/gpt.js';

const device = Device.cpu;
const TEXT = 'the quick brown fox jumps over the lazy dog. '.repeat(20);

test('CharText: windows whose target is the input shifted by one character; the tail is validation', async () => {
  const data = new CharText({ text: TEXT, windowLength: 8, batchSize: 4, windowsPerEpoch: 10, validationFraction: 0.1, device, seed: 3 });
  const vocabulary = data.vocabulary;
  assert.is(vocabulary.size, new Set(TEXT).size);
  assert.is(vocabulary.decode(vocabulary.encode(TEXT)), TEXT);
  assert.throws(() => vocabulary.encode('Z'), /'Z' is not in the text/);
  const epoch = data.training[Symbol.iterator]().next().value!;
  assert.is(epoch.count, 2); // 10 windows → 2 whole batches of 4
  for (const { data: x, label: y } of epoch) {
    assert.equal(x.shape, [4, 8]);
    const [xs, ys] = [await x.data(), await y.data()];
    for (let b = 0; b < 4; b++) {
      const input = vocabulary.decode(xs.subarray(b * 8, b * 8 + 8));
      const target = vocabulary.decode(ys.subarray(b * 8, b * 8 + 8));
      assert.is(input.slice(1), target.slice(0, 7));
      assert.ok(TEXT.includes(input + target.slice(7)), `${input}|${target} is a window of the text`);
    }
  }
  // validation: the last 10% in consecutive windows, every batch but the last full
  const split = Math.floor(TEXT.length * 0.9);
  assert.is(data.validationWindows.tokens.length, TEXT.length - split);
  assert.is(data.validation.count, Math.ceil(Math.ceil((TEXT.length - split - 8) / 8) / 4));
});

for (const device of await testDevices()) {
  test(`${device.name}: trainGPT: a tiny run reports perplexity below the vocabulary size, writes TensorBoard files, and samples`, async () => {
    const logdir = mkdtempSync(join(tmpdir(), 'gpt-tb-'));
    const result = await trainGPT({
      device,
      text: TEXT,
      epochs: 2,
      steps: 15,
      batchSize: 8,
      contextSize: 16,
      modelSize: 32,
      layerCount: 1,
      headCount: 2,
      learningRate: 1e-2,
      seed: 1,
      logdir,
      progress: false,
    });
    const V = result.data.vocabulary.size;
    // uniform guessing has perplexity V; a repeated sentence is quickly far better than that
    assert.ok(result.training.perplexity! > 1 && result.training.perplexity! < V / 2, `training perplexity ${result.training.perplexity} vs ${V}`);
    assert.ok(result.validation.perplexity! < V / 2, `validation perplexity ${result.validation.perplexity}`);
    assert.ok(Math.abs(Math.log(result.validation.perplexity!) - result.validation.loss!) < 1e-4, 'perplexity = exp(loss)');
    for (const phase of ['train', 'validation']) {
      const folder = join(result.runDirectory, phase);
      assert.ok(existsSync(folder) && readdirSync(folder).some((f) => f.startsWith('events.out.tfevents.')), `${phase} event file`);
    }
    const options = { prompt: 'the quick ', length: 20, contextSize: 16, seed: 5, device };
    const greedy = await generate(result.model, result.data.vocabulary, { ...options, temperature: 0 });
    assert.is(greedy.length, 20);
    assert.is(await generate(result.model, result.data.vocabulary, { ...options, temperature: 0 }), greedy, 'greedy decoding is deterministic');
    const sampled = await generate(result.model, result.data.vocabulary, { ...options, temperature: 1 });
    assert.ok([...sampled].every((c) => TEXT.includes(c)));
  });
}

test.run();
