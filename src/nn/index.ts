// Layers and the pieces models are built from.
export { Module } from './module.js';
export { glorotUniform, heNormal, normal, uniform, zerosInit, onesInit, fans, type Initializer, type InitializerOptions } from './initializers.js';
export { Activation, activationFunction, type ActivationName, type ActivationFunction, type ActivationLike } from './activations.js';
export { Dense, type DenseOptions } from './dense.js';
export { Conv2D, type Conv2DOptions as Conv2DLayerOptions } from './conv.js';
export { MaxPool2D, AvgPool2D, GlobalAvgPool2D, Flatten, type Pool2DLayerOptions } from './pooling.js';
export { BatchNorm, LayerNorm, type BatchNormOptions, type LayerNormOptions } from './normalization.js';
export { Dropout } from './dropout.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { MultiHeadAttention, causalMask, type MultiHeadAttentionOptions } from './attention.js';
export { Sequential } from './sequential.js';
