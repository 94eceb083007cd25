// ResNet for CIFAR-style images, after swift-models' Models/ImageClassification/ResNet.swift
// (`ResNet(classCount: 10, depth: .resNet56, downsamplingInFirstStage: false)`): three
// stages of basic residual blocks (two 3×3 ConvBN), n = (depth − 2) / 6 blocks per stage,
// 16·2^stage filters (64·2^stage with downsamplingInFirstStage, which also uses the 7×7
// stride-2 stem and a 3×3 stride-2 max pool); the first block of stages 2 and 3 halves
// the resolution with stride 2 and a 1×1 projection shortcut; then global average pool
// and a dense classifier. ConvBN = conv without bias + BatchNorm(momentum 0.9, ε 1e-5).
// Unlike the Swift code, a block without projection has no dummy 1×1 ConvBN parameters.

import type { Device } from '../device/device.js';
import { TensorLoopError } from '../errors.js';
import { Conv2D } from '../nn/conv.js';
import { Dense } from '../nn/dense.js';
import { Module } from '../nn/module.js';
import { BatchNorm } from '../nn/normalization.js';
import { GlobalAvgPool2D, MaxPool2D } from '../nn/pooling.js';
import { add, relu } from '../ops/elementwise.js';
import { nextSeed } from '../random.js';
import type { Tensor } from '../tensor.js';
import { checkRequiredOptions } from '../options.js';

interface LayerContext {
  seed: () => number;
  device?: Device;
}

/** Convolution (no bias) followed by batch normalization. */
export class ConvBN extends Module {
  conv: Conv2D;
  norm: BatchNorm;

  constructor(filterShape: readonly [number, number, number, number], strides: number, ctx: LayerContext) {
    super();
    this.conv = new Conv2D(filterShape, { strides, padding: 'same', useBias: false, seed: ctx.seed(), device: ctx.device });
    this.norm = new BatchNorm(filterShape[3], { momentum: 0.9, epsilon: 1e-5, device: ctx.device });
  }

  forward(x: Tensor): Tensor {
    return this.norm.forward(this.conv.forward(x));
  }
}

/** relu(conv2(relu(conv1(x))) + shortcut(x)), shortcut = a 1×1 ConvBN when the shape changes. */
export class BasicBlock extends Module {
  conv1: ConvBN;
  conv2: ConvBN;
  projection?: ConvBN;

  constructor(inputFilters: number, filters: number, strides: number, ctx: LayerContext) {
    super();
    this.conv1 = new ConvBN([3, 3, inputFilters, filters], strides, ctx);
    this.conv2 = new ConvBN([3, 3, filters, filters], 1, ctx);
    if (inputFilters !== filters || strides !== 1) this.projection = new ConvBN([1, 1, inputFilters, filters], strides, ctx);
  }

  forward(x: Tensor): Tensor {
    const shortcut = this.projection ? this.projection.forward(x) : x;
    return relu(add(this.conv2.forward(relu(this.conv1.forward(x))), shortcut));
  }
}

export type ResNetDepth = 20 | 32 | 44 | 56;

export interface ResNetOptions {
  classCount: number;
  depth: ResNetDepth;
  /** The ImageNet stem (7×7 stride 2, max pool, 64 filters); default true as in Swift. */
  downsamplingInFirstStage?: boolean;
  inputChannels?: number;
  seed?: number;
  device?: Device;
}

export class ResNet extends Module {
  stem: ConvBN;
  maxPool?: MaxPool2D;
  blocks: BasicBlock[] = [];
  pool = new GlobalAvgPool2D();
  classifier: Dense;

  constructor(options: ResNetOptions) {
    checkRequiredOptions('ResNet', options, ['classCount', 'depth', 'downsamplingInFirstStage', 'inputChannels', 'seed', 'device']);
    const { classCount, depth, downsamplingInFirstStage = true, inputChannels = 3, seed = nextSeed(), device } = options;
    super();
    if (![20, 32, 44, 56].includes(depth)) throw new TensorLoopError(`ResNet: depth must be 20, 32, 44 or 56, got ${depth}`);
    let next = seed;
    const ctx: LayerContext = { seed: () => next++, device };
    const inputFilters = downsamplingInFirstStage ? 64 : 16;
    if (downsamplingInFirstStage) {
      this.stem = new ConvBN([7, 7, inputChannels, inputFilters], 2, ctx);
      this.maxPool = new MaxPool2D({ windowSize: 3, strides: 2, padding: 'same' });
    } else {
      this.stem = new ConvBN([3, 3, inputChannels, inputFilters], 1, ctx);
    }
    const blocksPerStage = (depth - 2) / 6;
    let filtersIn = inputFilters;
    for (let stage = 0; stage < 3; stage++) {
      const filters = inputFilters * 2 ** stage;
      for (let i = 0; i < blocksPerStage; i++) {
        this.blocks.push(new BasicBlock(filtersIn, filters, stage > 0 && i === 0 ? 2 : 1, ctx));
        filtersIn = filters;
      }
    }
    this.classifier = new Dense(filtersIn, classCount, { seed: ctx.seed(), device });
    this.namedModules();
  }

  forward(x: Tensor): Tensor {
    let y = relu(this.stem.forward(x));
    if (this.maxPool) y = this.maxPool.forward(y);
    for (const block of this.blocks) y = block.forward(y);
    return this.classifier.forward(this.pool.forward(y));
  }
}
