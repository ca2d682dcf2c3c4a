export { charCorpus, UNKNOWN_TOKEN } from './corpus.js';
export type { CharCorpus, CharCorpusOptions } from './corpus.js';
export { decodeCorpus } from './decode.js';
export type { DecodeCorpusOptions } from './decode.js';
export { MAX_CORPUS_BYTES } from '../io/limits.js';
export { Vocab } from './vocab.js';
export type { VocabJSON, VocabOptions } from './vocab.js';
export { randomIter, consecutiveIter, sequentialIter, numBatches, minCorpusLength } from './iter.js';
export type { Batch, Sampling } from './iter.js';
export { makeRng, shuffleInPlace } from './rng.js';
export {
  parseG2PTsv, parseStdlibCmudict, g2pVocabs, encodeSymbols, g2pReferences, splitByWord, g2pBatches,
  G2P_SPECIALS, G2P_IDS,
} from './g2p.js';
export type { G2PEntry, G2PVocabs, G2PBatch, G2PBatchOptions, G2PSplitOptions, StdlibCmudictOptions } from './g2p.js';
