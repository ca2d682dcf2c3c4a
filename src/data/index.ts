export { charCorpus, UNKNOWN_TOKEN } from './corpus.js';
export type { CharCorpus, CharCorpusOptions } from './corpus.js';
export { Vocab } from './vocab.js';
export type { VocabJSON, VocabOptions } from './vocab.js';
export { randomIter, consecutiveIter, sequentialIter, numBatches, minCorpusLength } from './iter.js';
export type { Batch, Sampling } from './iter.js';
export { makeRng, shuffleInPlace } from './rng.js';
