// The optimizers and gradient helpers.
export { Optimizer, type OptimizerState, type ParameterSource, type SlotState } from './optimizer.js';
export { SGD, sgdUpdate, type SGDOptions, type SGDHyperparameters } from './sgd.js';
export { Adam, AdamW, adamUpdate, type AdamOptions, type AdamHyperparameters } from './adam.js';
export { RMSProp, rmspropUpdate, type RMSPropOptions, type RMSPropHyperparameters, type RMSPropState } from './rmsprop.js';
export { clipByValue, clipByGlobalNorm, globalNorm, type GradientMap } from './clip.js';
