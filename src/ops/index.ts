export { add, mul, scale, tanh, sigmoid, relu, fill, accumulateInto } from './elementwise.js';
export { matmul, matmulInto } from './matmul.js';
export { sum, globalNorm, sumRowsInto } from './reduce.js';
export { crossEntropy } from './cross_entropy.js';
export { gather, gatherInto, scatterAddInto, assertIdsInRange } from './gather.js';
export { dropout } from './dropout.js';
export { narrow0, cat, transpose01, copyBlockInto } from './layout.js';
