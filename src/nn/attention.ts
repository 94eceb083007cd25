// MultiHeadAttention (Vaswani et al. 2017), self-attention over x [B, T, D]:
//   q, k, v = x·Wq, x·Wk, x·Wv, split into H heads of D/H   → [B, H, T, D/H]
//   a = softmax(q·kᵀ / √(D/H) + mask)                         → [B, H, T, T]
//   y = concat_heads(a·v) · Wo                               → [B, T, D]
// With `causal`, position i attends only to j ≤ i: the mask adds −1e9 (a finite
// sentinel, as WGSL promises nothing about infinities) above the diagonal.

import type { Device } from '../device/device.js';
import { shapeString } from '../errors.js';
import { add, mul } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { reshape, transpose } from '../ops/movement.js';
import { softmax } from '../ops/softmax.js';
import { type Tensor, fromData } from '../tensor.js';
import { nextSeed } from '../random.js';
import { Dense } from './dense.js';
import { Module } from './module.js';
import { checkOptions } from '../options.js';

export interface MultiHeadAttentionOptions {
  causal?: boolean;
  seed?: number;
  device?: Device;
}

const MASKED = -1e9;

export class MultiHeadAttention extends Module {
  query: Dense;
  key: Dense;
  value: Dense;
  output: Dense;
  readonly causal: boolean;

  constructor(readonly modelSize: number, readonly headCount: number, options: MultiHeadAttentionOptions = {}) {
    const { causal = false, seed = nextSeed(), device } = checkOptions('MultiHeadAttention', options, ['causal', 'seed', 'device']);
    super();
    if (!Number.isInteger(headCount) || headCount < 1 || modelSize % headCount !== 0) {
      throw this.error(`modelSize ${modelSize} must be a multiple of headCount ${headCount}`);
    }
    this.query = new Dense(modelSize, modelSize, { seed, device });
    this.key = new Dense(modelSize, modelSize, { seed: seed + 1, device });
    this.value = new Dense(modelSize, modelSize, { seed: seed + 2, device });
    this.output = new Dense(modelSize, modelSize, { seed: seed + 3, device });
    this.causal = causal;
  }

  forward(x: Tensor): Tensor {
    this.assertInput(x);
    if (x.rank !== 3 || x.shape[2] !== this.modelSize) {
      throw this.error(`expected input [batch, time, ${this.modelSize}], got ${shapeString(x.shape)}`);
    }
    const [B, T, D] = x.shape as [number, number, number];
    const H = this.headCount;
    const split = (t: Tensor): Tensor => transpose(reshape(t, [B, T, H, D / H]), [0, 2, 1, 3]);
    const q = split(this.query.forward(x));
    const k = split(this.key.forward(x));
    const v = split(this.value.forward(x));
    let scores = mul(matmul(q, k, { transposeB: true }), 1 / Math.sqrt(D / H));
    if (this.causal) scores = add(scores, causalMask(T, x.device));
    const attended = matmul(softmax(scores, -1), v);
    return this.output.forward(reshape(transpose(attended, [0, 2, 1, 3]), [B, T, D]));
  }
}

/** [T, T]: 0 where j ≤ i, −1e9 above the diagonal. */
export function causalMask(T: number, device: Device): Tensor {
  const data = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) data[i * T + j] = MASKED;
  return fromData(data, [T, T], device);
}
