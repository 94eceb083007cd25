// The model zoo.
export { MLP, type MLPOptions } from './mlp.js';
export { LeNet, type LeNetOptions } from './lenet.js';
export { ResNet, BasicBlock, ConvBN, type ResNetOptions, type ResNetDepth } from './resnet.js';
export { TransformerBlock, TransformerClassifier, type TransformerBlockOptions, type TransformerClassifierOptions } from './transformer.js';
export { GPT, type GPTOptions } from './gpt.js';
