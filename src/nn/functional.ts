// wr.nn.functional (torch.nn.functional).
export { crossEntropy, type CrossEntropyOptions } from '../ops/cross_entropy.js';
export { mseLoss, l1Loss, binaryCrossEntropyWithLogits, type LossOptions, type BCEWithLogitsOptions } from '../ops/loss.js';
export { softmax, logSoftmax } from '../ops/softmax.js';
export type { Reduction } from '../ops/loss_options.js';
export { tanh, sigmoid, relu } from '../ops/elementwise.js';
export { gather as embedding } from '../ops/gather.js';
export { dropout, type DropoutOptions } from '../ops/dropout.js';
