export { Module } from './module.js';
export { Linear, type LinearOptions } from './linear.js';
export { RNN, GRU, LSTM, RNNBase, type RNNOptions, type GRUOptions, type LSTMOptions, type CellMode, type RecurrentForwardOptions } from './rnn.js';
export { CELLS, isCellMode, cellOfGates } from '../ops/recurrence.js';
export * as functional from './functional.js';
export * as utils from './utils.js';
