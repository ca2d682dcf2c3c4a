// webrnn.optim: optimizers updating parameters in place on the GPU (PyTorch's torch.optim).
export { Optimizer, type ActiveParam } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, type AdamOptions, type AdamState } from './adam.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { RMSprop, type RMSpropOptions, type RMSpropState } from './rmsprop.js';
export * as lrScheduler from './lr_scheduler.js';
