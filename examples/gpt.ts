// GPT, after Swift for TensorFlow's GPT2-WikiText2 sample: a small causal transformer
// language model trained with the TrainingLoop, scored by perplexity, logged to
// TensorBoard with tensorBoardStatisticsLogger. WikiText-2 and GPT-2's weights cannot be
// downloaded here, so it is a character-level model trained from scratch on a real text
// every Debian machine has, the GNU GPL version 3 (/usr/share/common-licenses/GPL-3,
// 35 kB), or any text file given with --text. The last 10% of the text is held out for
// validation; each training epoch reads random windows of it (seeded). At the end it
// prints ~200 characters sampled from a prompt.
//
//   npx tsx examples/gpt.ts
//   npx tsx examples/gpt.ts --text mybook.txt --epochs 5 --temperature 0   (0 = greedy)
//   tensorboard --logdir run/tensorboard/stats
// Flags: --text, --epochs, --steps (batches per epoch), --batch-size, --context (window
// length), --model-size, --layers, --heads, --learning-rate, --prompt, --sample-length,
// --temperature, --seed, --logdir, --device default|cpu|webgpu (default: Device.default()).

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Adam, type Device, GPT, TrainingLoop, type TrainingLoopCallback, type TrainingLoopOptions, fromData, noGrad, softmaxCrossEntropy, tensorBoardStatisticsLogger } from '../src/index.js';
import { Random } from '../src/random.js';
import { CharText, type CharVocabulary } from './data/char-text.js';
import { isMain, positiveInteger, positiveNumber, runExample } from './data/cli.js';

export const DEFAULT_TEXT = '/usr/share/common-licenses/GPL-3';

export interface GPTExampleOptions {
  device: Device;
  text: string;
  epochs: number;
  /** Training batches per epoch (random windows). */
  steps: number;
  batchSize: number;
  contextSize: number;
  modelSize: number;
  layerCount: number;
  headCount: number;
  learningRate: number;
  seed: number;
  /** Where tensorBoardStatisticsLogger writes (default run/tensorboard/stats). */
  logdir?: string;
  progress?: TrainingLoopOptions['progress'];
  /** Extra callbacks, after the example's own. */
  callbacks?: TrainingLoopCallback[];
}

export const DEFAULTS = { epochs: 3, steps: 80, batchSize: 8, contextSize: 64, modelSize: 64, layerCount: 2, headCount: 4, learningRate: 3e-3, seed: 1 };

/** Builds the data, model, optimizer and loop, trains, and returns the final statistics. */
export async function trainGPT(options: GPTExampleOptions) {
  const { device, text, epochs, steps, batchSize, contextSize, modelSize, layerCount, headCount, learningRate, seed } = options;
  const data = new CharText({ text, windowLength: contextSize, batchSize, windowsPerEpoch: steps * batchSize, validationFraction: 0.1, device, seed });
  const model = new GPT({ vocabularySize: data.vocabulary.size, contextSize, modelSize, headCount, layerCount, seed, device });
  const optimizer = new Adam(model, { learningRate });
  const tensorBoard = tensorBoardStatisticsLogger(options.logdir ? { logdir: options.logdir } : {});
  const loop = new TrainingLoop({
    training: data.training,
    validation: data.validation,
    optimizer,
    // logits [B, T, V] against the next characters [B, T]: the mean over every position
    lossFunction: softmaxCrossEntropy,
    metrics: ['perplexity'],
    callbacks: [tensorBoard, ...(options.callbacks ?? [])],
    progress: options.progress,
  });
  const history = await loop.fit(model, { epochs, device });
  return { model, data, loop, history, training: history.lastEpoch('training'), validation: history.lastEpoch('validation'), runDirectory: tensorBoard.runDirectory };
}

/** Continues `prompt` by `length` characters, one forward pass each over the last
 * contextSize characters: the most likely next character when temperature is 0, else a
 * draw from softmax(logits / temperature) (seeded). */
export async function generate(
  model: GPT,
  vocabulary: CharVocabulary,
  { prompt, length, temperature, contextSize, seed, device }: { prompt: string; length: number; temperature: number; contextSize: number; seed: number; device: Device },
): Promise<string> {
  model.eval();
  const random = new Random(seed);
  const ids = Array.from(vocabulary.encode(prompt));
  for (let i = 0; i < length; i++) {
    const context = Int32Array.from(ids.slice(-contextSize));
    const input = fromData(context, [1, context.length], device);
    const logits = noGrad(() => model.forward(input));
    const all = await logits.data();
    input.dispose();
    logits.dispose();
    const last = all.subarray((context.length - 1) * vocabulary.size, context.length * vocabulary.size);
    ids.push(temperature === 0 ? argmaxOf(last) : sampleFrom(last, temperature, random));
  }
  return vocabulary.decode(ids.slice(-length));
}

function argmaxOf(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** A draw from softmax(logits / temperature), computed stably in float64. */
function sampleFrom(logits: ArrayLike<number>, temperature: number, random: Random): number {
  const max = logits[argmaxOf(logits)]!;
  const weights = Array.from(logits, (l) => Math.exp((l - max) / temperature));
  let u = random.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) if ((u -= weights[i]!) < 0) return i;
  return weights.length - 1;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      text: { type: 'string', default: DEFAULT_TEXT },
      epochs: { type: 'string', default: String(DEFAULTS.epochs) },
      steps: { type: 'string', default: String(DEFAULTS.steps) },
      'batch-size': { type: 'string', default: String(DEFAULTS.batchSize) },
      context: { type: 'string', default: String(DEFAULTS.contextSize) },
      'model-size': { type: 'string', default: String(DEFAULTS.modelSize) },
      layers: { type: 'string', default: String(DEFAULTS.layerCount) },
      heads: { type: 'string', default: String(DEFAULTS.headCount) },
      'learning-rate': { type: 'string', default: String(DEFAULTS.learningRate) },
      prompt: { type: 'string', default: 'The licenses for most software ' },
      'sample-length': { type: 'string', default: '200' },
      temperature: { type: 'string', default: '0.5' },
      seed: { type: 'string', default: String(DEFAULTS.seed) },
      logdir: { type: 'string' },
      device: { type: 'string', default: 'default' },
    },
  });
  const temperature = Number(values.temperature);
  const options: Omit<GPTExampleOptions, 'device'> = {
    text: readFileSync(values.text, 'utf8'),
    epochs: positiveInteger('epochs', values.epochs),
    steps: positiveInteger('steps', values.steps),
    batchSize: positiveInteger('batch-size', values['batch-size']),
    contextSize: positiveInteger('context', values.context),
    modelSize: positiveInteger('model-size', values['model-size']),
    layerCount: positiveInteger('layers', values.layers),
    headCount: positiveInteger('heads', values.heads),
    learningRate: positiveNumber('learning-rate', values['learning-rate']),
    seed: Number(values.seed),
    logdir: values.logdir,
  };
  const sampleLength = positiveInteger('sample-length', values['sample-length']);
  await runExample(values.device, async (device) => {
    console.log(
      `Character-level GPT (${options.layerCount} layers, width ${options.modelSize}, context ${options.contextSize}) on ${values.text} ` +
        `(${options.text.length} characters), ${options.epochs} epochs of ${options.steps} batches of ${options.batchSize} random windows, on ${device.name}`,
    );
    const start = performance.now();
    const result = await trainGPT({ ...options, device });
    const seconds = (performance.now() - start) / 1000;
    console.log(`\nvalidation perplexity: ${result.validation.perplexity?.toFixed(2)} per character (vocabulary of ${result.data.vocabulary.size}; uniform guessing = ${result.data.vocabulary.size})`);
    console.log(`training time: ${seconds.toFixed(1)} s on ${device.name}; TensorBoard run: ${result.runDirectory}`);
    const prompt = values.prompt!;
    const sample = await generate(result.model, result.data.vocabulary, {
      prompt,
      length: sampleLength,
      temperature: Number.isFinite(temperature) && temperature >= 0 ? temperature : 0.5,
      contextSize: options.contextSize,
      seed: options.seed,
      device,
    });
    console.log(`\nsample (temperature ${temperature}):\n${prompt}${sample}`);
  });
}
