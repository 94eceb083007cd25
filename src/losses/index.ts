// Loss functions: each takes (predictions or logits, labels) and returns a scalar mean.
// softmaxCrossEntropy is a fused op with its own kernels, so it lives in src/ops.
export { softmaxCrossEntropy, type SoftmaxCrossEntropyOptions } from '../ops/softmax-cross-entropy.js';
export { sigmoidCrossEntropy } from './sigmoid-cross-entropy.js';
export { meanSquaredError, meanAbsoluteError } from './regression.js';
