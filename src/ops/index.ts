// The public ops, re-exported from their families.
export * from './elementwise.js';
export * from './reduce.js';
export * from './movement.js';
export * from './matmul.js';
export * from './conv.js';
export * from './softmax.js';
export * from './dropout.js';
export * from './bias.js';
export type { TensorLike } from './util.js';
