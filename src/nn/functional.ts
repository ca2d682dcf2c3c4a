// wr.nn.functional (torch.nn.functional).
export { crossEntropy } from '../ops/cross_entropy.js';
export { tanh, sigmoid, relu } from '../ops/elementwise.js';
export { gather as embedding } from '../ops/gather.js';
export { dropout, type DropoutOptions } from '../ops/dropout.js';
