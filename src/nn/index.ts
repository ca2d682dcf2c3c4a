export { Module } from './module.js';
export { Linear, type LinearOptions } from './linear.js';
export { RNN, GRU, LSTM, RNNBase, type RNNOptions, type GRUOptions, type LSTMOptions, type CellMode } from './rnn.js';
export { RNNCell, GRUCell, LSTMCell, RNNCellBase, type RNNCellOptions, type GRUCellOptions, type LSTMCellOptions } from './cells.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { Dropout, type DropoutOptions } from './dropout.js';
export { Generator, manualSeed, defaultGenerator, philox4x32, randomWords, DEFAULT_SEED, type PhiloxDraw } from '../ops/philox.js';
export * as functional from './functional.js';
export * as utils from './utils.js';
