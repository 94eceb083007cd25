// Token sequences as a sample source for the Epochs API (src/data/epochs.ts): every sample
// is `sequenceLength` int32 token ids plus a label of `labelSize` values (one class id,
// a float 0/1, or the next-token ids of a language model). A batch gathers the chosen
// samples on the host and uploads data and labels once each, as ImageSamples does.

import { type Device, type LabeledBatch, type SampleSource, TensorLoopError, fromData } from '../../src/index.js';

export interface TokenSamplesOptions {
  /** count × sequenceLength token ids, sample-major. */
  tokens: Int32Array;
  /** count × labelSize labels, sample-major. */
  labels: Int32Array | Float32Array;
  sequenceLength: number;
  /** The label shape of one sample: [] for a class id, [1] for a binary score, [T] for next tokens. */
  labelShape: readonly number[];
  device: Device;
}

export class TokenSamples implements SampleSource {
  readonly count: number;
  readonly tokens: Int32Array;
  readonly labels: Int32Array | Float32Array;
  readonly sequenceLength: number;
  readonly labelShape: readonly number[];
  readonly device: Device;
  private readonly labelSize: number;

  constructor({ tokens, labels, sequenceLength, labelShape, device }: TokenSamplesOptions) {
    this.labelSize = labelShape.reduce((a, b) => a * b, 1);
    this.count = tokens.length / sequenceLength;
    if (!Number.isInteger(this.count) || labels.length !== this.count * this.labelSize) {
      throw new TensorLoopError(
        `TokenSamples: ${tokens.length} tokens in sequences of ${sequenceLength} do not match ${labels.length} labels of shape [${labelShape.join(', ')}]`,
      );
    }
    this.tokens = tokens;
    this.labels = labels;
    this.sequenceLength = sequenceLength;
    this.labelShape = labelShape;
    this.device = device;
  }

  makeBatch(indices: ArrayLike<number>): LabeledBatch {
    const n = indices.length;
    const T = this.sequenceLength;
    const L = this.labelSize;
    const data = new Int32Array(n * T);
    const label = this.labels instanceof Int32Array ? new Int32Array(n * L) : new Float32Array(n * L);
    for (let i = 0; i < n; i++) {
      const s = indices[i]!;
      data.set(this.tokens.subarray(s * T, (s + 1) * T), i * T);
      label.set(this.labels.subarray(s * L, (s + 1) * L), i * L);
    }
    return { data: fromData(data, [n, T], this.device), label: fromData(label, [n, ...this.labelShape], this.device) };
  }
}
