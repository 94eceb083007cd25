// tensorloop's public API. Each line re-exports one layer of the stack (see DESIGN.md).
export { TensorLoopError } from './errors.js';
export type { DType, TypedArray } from './dtype.js';
export { Device } from './device/index.js';
export { Tensor, tensor, scalar, zeros, ones, full, arange, randn, randu, fromData, defaultDevice, setDefaultDevice, memory } from './tensor.js';
export type { Shape, NestedArray, CreationOptions, RandomOptions, MemoryInfo } from './tensor.js';
export { tidy, tidyAsync, keep, startScope, endScope } from './memory.js';
export * from './ops/index.js';
import './tensor-methods.js';
export { grad, valueAndGrad, valueWithGradient } from './autodiff/gradients.js';
export type { Gradients, Differentiable } from './autodiff/gradients.js';
export { noGrad } from './autodiff/tape.js';
export * from './nn/index.js';
export * from './losses/index.js';
export * from './optim/index.js';
export { saveCheckpoint, loadCheckpoint, type SaveCheckpointOptions, type LoadCheckpointOptions, type LoadedCheckpoint } from './io/checkpoint.js';
export { encodeSafetensors, decodeSafetensors, type SafetensorsEntry, type SafetensorsFile } from './io/safetensors.js';
export * from './models/index.js';
