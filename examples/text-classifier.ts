// Text classifier, after Swift for TensorFlow's BERT-CoLA sample: a transformer
// classifier judges whether a sentence is grammatical, scored by the Matthews
// correlation coefficient (CoLA's metric), with the sample's learning-rate schedule —
// linear warm-up over 10 steps from 0 to the peak, then linear decay to 0 at the last step.
//
// The data is SYNTHETIC. CoLA (and a pre-trained BERT) cannot be downloaded on this
// machine, so examples/data/agreement.ts generates an acceptability task from a seed:
// sentences of a tiny English grammar, label 1 when the verb agrees in number with the
// subject's head noun, 0 when not, with attractor nouns ("the dog near the cats sleeps")
// so that word order matters. The model is small and trained from scratch, not BERT.
//
//   npx tsx examples/text-classifier.ts
//   npx tsx examples/text-classifier.ts --epochs 6 --learning-rate 0.002 --device webgpu
// Flags: --epochs, --batch-size, --training-size, --validation-size, --learning-rate (the
// peak), --layers, --model-size, --seed, --device default|cpu|webgpu (default: Device.default()).

import { parseArgs } from 'node:util';
import {
  AdamW,
  type Device,
  ScheduleSegment,
  TensorLoopError,
  TrainingEpochs,
  TrainingLoop,
  type TrainingLoopCallback,
  type TrainingLoopOptions,
  TransformerClassifier,
  fromData,
  inBatches,
  learningRateScheduler,
  linear,
  makeSchedule,
  noGrad,
  sigmoid,
  sigmoidCrossEntropy,
} from '../src/index.js';
import { SEQUENCE_LENGTH, VOCABULARY, agreementDataset, encode } from './data/agreement.js';
import { isMain, positiveInteger, positiveNumber, runExample } from './data/cli.js';
import { TokenSamples } from './data/token-samples.js';

export interface TextClassifierOptions {
  device: Device;
  epochs: number;
  batchSize: number;
  trainingSize: number;
  validationSize: number;
  /** The peak of the warm-up/decay schedule. */
  learningRate: number;
  layerCount: number;
  modelSize: number;
  seed: number;
  /** The loop's console display (see TrainingLoopOptions.progress). */
  progress?: TrainingLoopOptions['progress'];
  /** Extra callbacks, after the example's own. */
  callbacks?: TrainingLoopCallback[];
}

export const DEFAULTS = { epochs: 6, batchSize: 32, trainingSize: 4096, validationSize: 512, learningRate: 5e-3, layerCount: 2, modelSize: 32, seed: 1 };

/** Builds the data, model, optimizer and loop, trains, and returns the final statistics. */
export async function trainTextClassifier(options: TextClassifierOptions) {
  const { device, epochs, batchSize, trainingSize, validationSize, learningRate, layerCount, modelSize, seed } = options;
  // different seeds: the validation sentences are drawn apart from the training ones
  const train = agreementDataset(trainingSize, seed);
  const validation = agreementDataset(validationSize, seed + 1_000_003);
  const samples = (d: typeof train) => new TokenSamples({ tokens: d.tokens, labels: d.labels, sequenceLength: SEQUENCE_LENGTH, labelShape: [1], device });
  const training = new TrainingEpochs(samples(train), { batchSize, seed });

  // one logit per sentence, as the Swift sample's BERTClassifier(classCount: 1) for CoLA
  const model = new TransformerClassifier({
    vocabularySize: VOCABULARY.length,
    sequenceLength: SEQUENCE_LENGTH,
    modelSize,
    headCount: 2,
    layerCount,
    classCount: 1,
    seed,
    device,
  });
  const optimizer = new AdamW(model, { learningRate, weightDecay: 0.01 });
  const loop = new TrainingLoop({
    training,
    validation: inBatches(samples(validation), batchSize),
    optimizer,
    lossFunction: sigmoidCrossEntropy,
    metrics: ['matthewsCorrelationCoefficient'],
    callbacks: [
      learningRateScheduler({
        schedule: makeSchedule([
          new ScheduleSegment({ shape: linear, startRate: 0, endRate: learningRate, stepCount: 10 }),
          new ScheduleSegment({ shape: linear, endRate: 0 }),
        ]),
      }),
      ...(options.callbacks ?? []),
    ],
    progress: options.progress,
  });
  const history = await loop.fit(model, { epochs, device });
  return { model, loop, history, training: history.lastEpoch('training'), validation: history.lastEpoch('validation'), batchesPerEpoch: training.batchCount };
}

/** The model's probability that each sentence is grammatical. */
export async function judge(model: TransformerClassifier, sentences: readonly string[], device: Device): Promise<number[]> {
  const ids = new Int32Array(sentences.length * SEQUENCE_LENGTH);
  sentences.forEach((s, i) => {
    const words = s.split(' ');
    const unknown = words.find((w) => !VOCABULARY.includes(w));
    if (unknown !== undefined || words.length > SEQUENCE_LENGTH) throw new TensorLoopError(`judge: '${s}' is not a sentence of the grammar`);
    ids.set(encode(words), i * SEQUENCE_LENGTH);
  });
  model.eval();
  const p = noGrad(() => sigmoid(model.forward(fromData(ids, [sentences.length, SEQUENCE_LENGTH], device))));
  const values = Array.from(await p.data());
  p.dispose();
  return values;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string', default: String(DEFAULTS.epochs) },
      'batch-size': { type: 'string', default: String(DEFAULTS.batchSize) },
      'training-size': { type: 'string', default: String(DEFAULTS.trainingSize) },
      'validation-size': { type: 'string', default: String(DEFAULTS.validationSize) },
      'learning-rate': { type: 'string', default: String(DEFAULTS.learningRate) },
      layers: { type: 'string', default: String(DEFAULTS.layerCount) },
      'model-size': { type: 'string', default: String(DEFAULTS.modelSize) },
      seed: { type: 'string', default: String(DEFAULTS.seed) },
      device: { type: 'string', default: 'default' },
    },
  });
  const options: Omit<TextClassifierOptions, 'device'> = {
    epochs: positiveInteger('epochs', values.epochs),
    batchSize: positiveInteger('batch-size', values['batch-size']),
    trainingSize: positiveInteger('training-size', values['training-size']),
    validationSize: positiveInteger('validation-size', values['validation-size']),
    learningRate: positiveNumber('learning-rate', values['learning-rate']),
    layerCount: positiveInteger('layers', values.layers),
    modelSize: positiveInteger('model-size', values['model-size']),
    seed: Number(values.seed),
  };
  await runExample(values.device, async (device) => {
    console.log(
      `Subject–verb agreement (synthetic stand-in for CoLA): ${options.trainingSize} training / ${options.validationSize} validation sentences, ` +
        `a ${options.layerCount}-layer transformer classifier, peak learning rate ${options.learningRate}, on ${device.name}`,
    );
    const start = performance.now();
    const result = await trainTextClassifier({ ...options, device });
    console.log(`\nvalidation MCC: ${result.validation.mcc?.toFixed(4)} (0 = chance, 1 = perfect)`);
    const examples = ['the old dog near the cats sleeps quietly', 'the old dog near the cats sleep quietly', 'the children sings', 'the children sing today'];
    const p = await judge(result.model, examples, device);
    examples.forEach((s, i) => console.log(`  P(grammatical) = ${p[i]!.toFixed(2)}  "${s}"`));
    console.log(`time: ${((performance.now() - start) / 1000).toFixed(1)} s on ${device.name}`);
  });
}
