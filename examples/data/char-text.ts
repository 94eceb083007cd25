// Character-level language-model data from one text file: a vocabulary of the characters
// it holds, the text split into a training head and a validation tail, and batches of
// windows — a window starting at s is the input text[s … s+T) and the target (the next
// character at every position) text[s+1 … s+T+1).
//   training:   every epoch draws `windowsPerEpoch` random starts (seeded) from the head
//   validation: the tail cut into consecutive windows, the same every epoch

import { Batches, type Device, type LabeledBatch, type SampleSource, TensorLoopError, fromData } from '../../src/index.js';
import { Random } from '../../src/random.js';

export class CharVocabulary {
  readonly characters: string[];
  private readonly ids: Map<string, number>;

  constructor(text: string) {
    this.characters = [...new Set(text)].sort();
    this.ids = new Map(this.characters.map((c, i) => [c, i]));
  }

  get size(): number {
    return this.characters.length;
  }

  encode(text: string): Int32Array {
    return Int32Array.from(text, (c) => {
      const id = this.ids.get(c);
      if (id === undefined) throw new TensorLoopError(`CharVocabulary: '${c}' is not in the text's ${this.size} characters`);
      return id;
    });
  }

  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => this.characters[i] ?? '?').join('');
  }
}

/** The windows of one token array: sample s is the window starting at s. */
export class TextWindows implements SampleSource {
  readonly count: number;

  constructor(
    readonly tokens: Int32Array,
    readonly windowLength: number,
    readonly device: Device,
  ) {
    this.count = tokens.length - windowLength; // the last start still has a next character
    if (this.count < 1) throw new TensorLoopError(`TextWindows: ${tokens.length} characters are too few for windows of ${windowLength} + 1`);
  }

  makeBatch(starts: ArrayLike<number>): LabeledBatch {
    const n = starts.length;
    const T = this.windowLength;
    const data = new Int32Array(n * T);
    const label = new Int32Array(n * T);
    for (let i = 0; i < n; i++) {
      const s = starts[i]!;
      data.set(this.tokens.subarray(s, s + T), i * T);
      label.set(this.tokens.subarray(s + 1, s + T + 1), i * T);
    }
    return { data: fromData(data, [n, T], this.device), label: fromData(label, [n, T], this.device) };
  }
}

export interface CharTextOptions {
  text: string;
  windowLength: number;
  batchSize: number;
  /** Random windows per training epoch (rounded down to whole batches). */
  windowsPerEpoch: number;
  /** The fraction of the text (its tail) kept for validation. */
  validationFraction: number;
  device: Device;
  seed: number;
}

export class CharText {
  readonly vocabulary: CharVocabulary;
  readonly trainingWindows: TextWindows;
  readonly validationWindows: TextWindows;
  readonly training: Iterable<Batches>;
  readonly validation: Batches;

  constructor({ text, windowLength, batchSize, windowsPerEpoch, validationFraction, device, seed }: CharTextOptions) {
    if (!(validationFraction > 0 && validationFraction < 1)) throw new TensorLoopError(`CharText: validationFraction must be in (0, 1), got ${validationFraction}`);
    this.vocabulary = new CharVocabulary(text);
    const tokens = this.vocabulary.encode(text);
    const split = Math.floor(tokens.length * (1 - validationFraction));
    this.trainingWindows = new TextWindows(tokens.subarray(0, split), windowLength, device);
    this.validationWindows = new TextWindows(tokens.subarray(split), windowLength, device);
    const batchCount = Math.floor(windowsPerEpoch / batchSize);
    if (batchCount < 1) throw new TensorLoopError(`CharText: ${windowsPerEpoch} windows per epoch make no batch of ${batchSize}`);
    const random = new Random(seed);
    const windows = this.trainingWindows;
    this.training = {
      [Symbol.iterator]: () => ({
        next: () => {
          const starts = Int32Array.from({ length: batchCount * batchSize }, () => random.int(windows.count));
          return { done: false, value: new Batches(windows, starts, batchSize) };
        },
      }),
    };
    const validationStarts = Int32Array.from({ length: Math.ceil(this.validationWindows.count / windowLength) }, (_, i) => i * windowLength);
    this.validation = new Batches(this.validationWindows, validationStarts, batchSize);
  }
}
