// GPT: a small causal decoder after GPT-2 (Radford et al. 2019; nanoGPT's layout): token
// and learned position embeddings, N pre-LayerNorm blocks of causal self-attention and a
// GELU MLP, a final LayerNorm, and an output head tied to the token embedding (logits =
// h · Eᵀ, no separate output matrix). Embeddings are N(0, 0.02²). tokens [B, T] int32 →
// logits [B, T, vocabularySize].

import type { Device } from '../device/device.js';
import { Embedding } from '../nn/embedding.js';
import { normal } from '../nn/initializers.js';
import { Module } from '../nn/module.js';
import { LayerNorm } from '../nn/normalization.js';
import { matmul } from '../ops/matmul.js';
import { nextSeed } from '../random.js';
import type { Tensor } from '../tensor.js';
import { TransformerBlock, embedTokens } from './transformer.js';
import { checkRequiredOptions } from '../options.js';

export interface GPTOptions {
  vocabularySize: number;
  /** The longest context (rows of the position table). */
  contextSize: number;
  modelSize: number;
  headCount: number;
  layerCount: number;
  seed?: number;
  device?: Device;
}

export class GPT extends Module {
  tokenEmbedding: Embedding;
  positionEmbedding: Embedding;
  blocks: TransformerBlock[];
  finalNorm: LayerNorm;

  constructor(options: GPTOptions) {
    checkRequiredOptions('GPT', options, ['vocabularySize', 'contextSize', 'modelSize', 'headCount', 'layerCount', 'seed', 'device']);
    const { vocabularySize, contextSize, modelSize, headCount, layerCount, seed = nextSeed(), device } = options;
    super();
    this.tokenEmbedding = new Embedding(vocabularySize, modelSize, { initializer: normal(0.02), seed, device });
    this.positionEmbedding = new Embedding(contextSize, modelSize, { initializer: normal(0.02), seed: seed + 1, device });
    this.blocks = Array.from({ length: layerCount }, (_, i) => new TransformerBlock({ modelSize, headCount, causal: true, seed: seed + 100 * (i + 1), device }));
    this.finalNorm = new LayerNorm(modelSize, { epsilon: 1e-5, device });
    this.namedModules();
  }

  forward(tokens: Tensor): Tensor {
    const x = embedTokens(this, tokens, this.tokenEmbedding, this.positionEmbedding);
    const h = this.finalNorm.forward(this.blocks.reduce((y, block) => block.forward(y), x));
    return matmul(h, this.tokenEmbedding.weight, { transposeB: true }); // tied head: h · Eᵀ
  }
}
