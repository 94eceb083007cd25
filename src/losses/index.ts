// Loss functions: each takes (predictions or logits, labels) and returns a scalar mean.
export { softmaxCrossEntropy, type SoftmaxCrossEntropyOptions } from './softmax-cross-entropy.js';
export { sigmoidCrossEntropy } from './sigmoid-cross-entropy.js';
export { meanSquaredError, meanAbsoluteError } from './regression.js';
