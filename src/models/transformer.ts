// The transformer pieces shared by TransformerClassifier and GPT: a pre-LayerNorm block
//   x ← x + attention(layerNorm1(x));   x ← x + mlp(layerNorm2(x))
// with a GELU MLP of width feedForwardSize (4·modelSize by default), and the
// TransformerClassifier: token + learned position embeddings, N blocks, a final
// LayerNorm, mean pooling over positions and a dense head → [B, classCount].

import type { Device } from '../device/device.js';
import { TensorLoopError, shapeString } from '../errors.js';
import { MultiHeadAttention } from '../nn/attention.js';
import { Dense } from '../nn/dense.js';
import { Embedding } from '../nn/embedding.js';
import { type Initializer, normal } from '../nn/initializers.js';
import { Module } from '../nn/module.js';
import { LayerNorm } from '../nn/normalization.js';
import { add } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { nextSeed } from '../random.js';
import { type Tensor, arange } from '../tensor.js';
import { checkRequiredOptions } from '../options.js';

export interface TransformerBlockOptions {
  modelSize: number;
  headCount: number;
  feedForwardSize?: number;
  causal?: boolean;
  seed?: number;
  device?: Device;
}

export class TransformerBlock extends Module {
  norm1: LayerNorm;
  attention: MultiHeadAttention;
  norm2: LayerNorm;
  expand: Dense;
  contract: Dense;

  constructor(options: TransformerBlockOptions) {
    checkRequiredOptions('TransformerBlock', options, ['modelSize', 'headCount', 'feedForwardSize', 'causal', 'seed', 'device']);
    const { modelSize, headCount, feedForwardSize = 4 * modelSize, causal = false, seed = nextSeed(), device } = options;
    super();
    this.norm1 = new LayerNorm(modelSize, { epsilon: 1e-5, device });
    this.attention = new MultiHeadAttention(modelSize, headCount, { causal, seed, device });
    this.norm2 = new LayerNorm(modelSize, { epsilon: 1e-5, device });
    this.expand = new Dense(modelSize, feedForwardSize, { activation: 'gelu', seed: seed + 10, device });
    this.contract = new Dense(feedForwardSize, modelSize, { seed: seed + 11, device });
  }

  forward(x: Tensor): Tensor {
    const attended = add(x, this.attention.forward(this.norm1.forward(x)));
    return add(attended, this.contract.forward(this.expand.forward(this.norm2.forward(attended))));
  }
}

export interface TransformerClassifierOptions {
  vocabularySize: number;
  /** The longest sequence (rows of the position table). */
  sequenceLength: number;
  modelSize: number;
  headCount: number;
  layerCount: number;
  classCount: number;
  feedForwardSize?: number;
  seed?: number;
  device?: Device;
}

/** Token ids [B, T] (int32, T ≤ sequenceLength) → logits [B, classCount]. */
export class TransformerClassifier extends Module {
  tokenEmbedding: Embedding;
  positionEmbedding: Embedding;
  blocks: TransformerBlock[];
  finalNorm: LayerNorm;
  head: Dense;

  constructor(options: TransformerClassifierOptions) {
    super();
    checkRequiredOptions('TransformerClassifier', options, ['vocabularySize', 'sequenceLength', 'modelSize', 'headCount', 'layerCount', 'classCount', 'feedForwardSize', 'seed', 'device']);
    const { vocabularySize, sequenceLength, modelSize, headCount, layerCount, classCount, feedForwardSize, seed = nextSeed(), device } = options;
    const init: Initializer = normal(0.02);
    this.tokenEmbedding = new Embedding(vocabularySize, modelSize, { initializer: init, seed, device });
    this.positionEmbedding = new Embedding(sequenceLength, modelSize, { initializer: init, seed: seed + 1, device });
    this.blocks = Array.from({ length: layerCount }, (_, i) => new TransformerBlock({ modelSize, headCount, feedForwardSize, seed: seed + 100 * (i + 1), device }));
    this.finalNorm = new LayerNorm(modelSize, { epsilon: 1e-5, device });
    this.head = new Dense(modelSize, classCount, { seed: seed + 2, device });
    this.namedModules();
  }

  forward(tokens: Tensor): Tensor {
    const x = embedTokens(this, tokens, this.tokenEmbedding, this.positionEmbedding);
    const y = this.blocks.reduce((h, block) => block.forward(h), x);
    return this.head.forward(mean(this.finalNorm.forward(y), 1));
  }
}

/** tokens [B, T] → token + position embeddings [B, T, D], checking T fits the table. */
export function embedTokens(owner: Module, tokens: Tensor, token: Embedding, position: Embedding): Tensor {
  if (tokens.rank !== 2 || tokens.shape[1]! > position.vocabularySize) {
    throw new TensorLoopError(`${owner.describe()}: expected int32 tokens [batch, time ≤ ${position.vocabularySize}], got ${shapeString(tokens.shape)}`);
  }
  const positions = arange(tokens.shape[1]!, undefined, 1, { dtype: 'int32', device: tokens.device });
  return add(token.forward(tokens), position.forward(positions));
}
