export { CharRNN, type CharRNNOptions, type RNNState, type PredictOptions } from './charrnn.js';
export { train, NonFiniteLossError, type TrainOptions, type EpochRecord } from './train.js';
