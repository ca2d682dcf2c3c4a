// wr.seq2seq (API.md 13): d2l's encoder-decoder, with or without Bahdanau attention.
export { Seq2Seq, Seq2SeqEncoder, Seq2SeqDecoder, AdditiveAttention, type Seq2SeqModelOptions, type Encoded } from './model.js';
export { resolveSeq2SeqOptions, seq2seqParameterShapes, canonicalSeq2SeqName, canonicalSeq2SeqStateDict, type Seq2SeqOptions, type Seq2SeqConfig } from './config.js';
export { attentionDecoder, type AttentionDecoderArgs, type AttentionDecoderResult } from './attention-decoder.js';
export { seq2seqStep, seq2seqLoss, type Seq2SeqBatch, type Seq2SeqStepOptions } from './train.js';
export type { GenerateOptions, Generated } from './generate.js';
export { transcribe, evaluateG2P, saveG2PModel, loadG2PModel, vocabsFromMetadata, attentionMap, encodeWords, type TranscribeOptions } from './g2p.js';
