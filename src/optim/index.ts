// webrnn.optim: optimizers updating parameters in place on the GPU (PyTorch's torch.optim).
export { Optimizer, type ActiveParam } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, type AdamOptions, type AdamState } from './adam.js';
