// Labeled image samples held on the host as bytes, and the batch maker that turns a list
// of sample indices into `{data, label}` tensors on a device: one host loop that gathers
// and converts the bytes to float32 (scale to [0, 1], then optionally per-channel
// (x − mean)/std), then one upload each for data and labels. The bytes stay compact
// (a quarter of float32), and a batch costs one copy, so it stays off the hot path.

import type { Device } from '../device/device.js';
import { TensorLoopError, shapeString } from '../errors.js';
import { fromData, sizeOf } from '../tensor.js';
import type { LabeledBatch } from './batches.js';
import { checkOptions } from '../options.js';

export interface ImageSamplesOptions {
  /** Per-channel mean and standard deviation (channels interleaved last, NHWC), applied after /255. */
  normalization?: { mean: readonly number[]; std: readonly number[] };
}

export class ImageSamples {
  readonly count: number;
  readonly sampleSize: number;

  /** `pixels`: count × ∏sampleShape bytes, sample-major, in `sampleShape` order (NHWC). */
  constructor(
    readonly pixels: Uint8Array,
    readonly labels: Uint8Array,
    readonly sampleShape: readonly number[],
    readonly device: Device,
    private readonly options: ImageSamplesOptions = {},
  ) {
    checkOptions('ImageSamples', options, ['normalization']);
    if (!(pixels instanceof Uint8Array) || !(labels instanceof Uint8Array)) throw new TensorLoopError('ImageSamples: pixels and labels must be Uint8Arrays of bytes');
    if (!Array.isArray(sampleShape) || sampleShape.some((d) => !Number.isInteger(d) || d < 1)) throw new TensorLoopError(`ImageSamples: bad sampleShape ${JSON.stringify(sampleShape)}`);
    this.sampleSize = sizeOf(sampleShape);
    this.count = labels.length;
    if (pixels.length !== this.count * this.sampleSize) {
      throw new TensorLoopError(`ImageSamples: ${pixels.length} pixel bytes for ${this.count} labels of shape ${shapeString(sampleShape)}`);
    }
    const n = options.normalization;
    if (n && (n.mean.length !== n.std.length || this.sampleSize % n.mean.length !== 0 || n.std.some((s) => !(s > 0)))) {
      throw new TensorLoopError(
        `ImageSamples: normalization needs as many means as stds (all above 0), one per channel of ${shapeString(sampleShape)}; got ${n.mean.length} and ${n.std.length}`,
      );
    }
  }

  /** The first `count` samples (a view, no copy). */
  prefix(count: number): ImageSamples {
    if (!(Number.isInteger(count) && count >= 1 && count <= this.count)) throw new TensorLoopError(`ImageSamples: cannot take ${count} of ${this.count} samples`);
    return new ImageSamples(this.pixels.subarray(0, count * this.sampleSize), this.labels.subarray(0, count), this.sampleShape, this.device, this.options);
  }

  /** The batch of the samples at `indices`: data [n, ...sampleShape] float32, label [n] int32. */
  makeBatch(indices: ArrayLike<number>): LabeledBatch {
    const n = indices.length;
    const size = this.sampleSize;
    const data = new Float32Array(n * size);
    const label = new Int32Array(n);
    const norm = this.options.normalization;
    const channels = norm ? norm.mean.length : 1; // element j is of channel j % channels (NHWC)
    const scale = norm ? norm.std.map((s) => 1 / (255 * s)) : [];
    const shift = norm ? norm.mean.map((m, c) => m / norm.std[c]!) : [];
    for (let i = 0; i < n; i++) {
      const sample = indices[i]!;
      const src = sample * size;
      const dst = i * size;
      if (norm) for (let j = 0; j < size; j++) data[dst + j] = this.pixels[src + j]! * scale[j % channels]! - shift[j % channels]!;
      else for (let j = 0; j < size; j++) data[dst + j] = this.pixels[src + j]! / 255;
      label[i] = this.labels[sample]!;
    }
    return { data: fromData(data, [n, ...this.sampleShape], this.device), label: fromData(label, [n], this.device) };
  }
}
