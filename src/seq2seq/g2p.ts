// Grapheme-to-phoneme with a Seq2Seq model: transcription (beam search on the GPU), scoring against every listed
// pronunciation (PER / WER, as the G2P literature), and model files (.safetensors with the config and both
// vocabularies in the metadata, the layout scripts/torch_seq2seq.py writes and reads).
import type { Context } from '../core/context.js';
import { noGrad } from '../core/autograd.js';
import { Vocab } from '../data/vocab.js';
import { G2P_IDS, G2P_SPECIALS, g2pBatches, type G2PEntry, type G2PVocabs } from '../data/g2p.js';
import { errorRates, type ErrorRates } from '../metrics/index.js';
import { saveSafetensors, loadSafetensors } from '../io/index.js';
import { Seq2Seq } from './model.js';
import { resolveSeq2SeqOptions, type Seq2SeqConfig } from './config.js';

export interface TranscribeOptions {
  /** Beams per word (1: greedy). */
  beamSize?: number;
  /** Most phonemes per word (default 2 × the longest word + 5). */
  maxLen?: number;
  /** Words per GPU batch (default 256). */
  batchSize?: number;
}

/** The source ids of words (graphemes + eos, padded), their lengths and S. */
export function encodeWords(words: readonly string[], vocabs: G2PVocabs): { src: Int32Array; lens: Int32Array; S: number } {
  const chars = words.map((w) => Array.from(w));
  const S = Math.max(...chars.map((c) => c.length)) + 1;
  const src = new Int32Array(words.length * S).fill(G2P_IDS.pad);
  const lens = new Int32Array(words.length);
  chars.forEach((c, b) => {
    c.forEach((g, i) => { src[b * S + i] = vocabs.graphemes.tokenToIdx.get(g) ?? G2P_IDS.unk; });
    src[b * S + c.length] = G2P_IDS.eos;
    lens[b] = c.length + 1;
  });
  return { src, lens, S };
}

/** Pronunciations of `words` (phoneme symbols), decoded on the GPU. */
export async function transcribe(model: Seq2Seq, vocabs: G2PVocabs, words: readonly string[], opts: TranscribeOptions = {}): Promise<string[][]> {
  if (words.some((w) => typeof w !== 'string' || w.length === 0)) throw new RangeError('transcribe: every word must be a non-empty string');
  const batchSize = opts.batchSize ?? 256;
  const out: string[][] = [];
  for (let i = 0; i < words.length; i += batchSize) {
    const chunk = words.slice(i, i + batchSize);
    const { src, lens, S } = encodeWords(chunk, vocabs);
    const srcT = model.ctx.tensor(src, [chunk.length, S], 'int32');
    const ids = await model.generate(srcT, lens, {
      bos: G2P_IDS.bos, eos: G2P_IDS.eos, maxLen: opts.maxLen ?? 2 * S + 5, beamSize: opts.beamSize ?? 1,
    });
    srcT.dispose();
    for (const row of ids) out.push(Array.from(row, (id) => vocabs.phonemes.idxToToken[id]));
  }
  return out;
}

/** PER and WER of the model on `entries` (one hypothesis per word, scored against all its pronunciations). */
export async function evaluateG2P(model: Seq2Seq, entries: readonly G2PEntry[], vocabs: G2PVocabs, opts: TranscribeOptions = {}): Promise<ErrorRates & { words: number }> {
  const wasTraining = model.training;
  model.eval();
  try {
    // per-word batches sorted by length: little padding, and each word once
    const batches = g2pBatches(entries, vocabs, { batchSize: opts.batchSize ?? 256, shuffle: false, perWord: true });
    const hyps: string[][] = [];
    const refs: string[][][] = [];
    for (const b of batches) {
      hyps.push(...(await transcribe(model, vocabs, b.words, { ...opts, batchSize: b.B })));
      refs.push(...b.refs);
    }
    return { ...errorRates(hyps, refs), words: hyps.length };
  } finally {
    if (wasTraining) model.train();
  }
}

/** A model file: weights in webrnn's names; metadata format, config, graphemes, phonemes (as torch_seq2seq.py). */
export async function saveG2PModel(model: Seq2Seq, vocabs: G2PVocabs): Promise<Uint8Array> {
  return saveSafetensors(await model.stateDict(), model.parameterShapes(), {
    format: 'pt', config: JSON.stringify(model.config),
    graphemes: JSON.stringify(vocabs.graphemes.idxToToken), phonemes: JSON.stringify(vocabs.phonemes.idxToToken),
  });
}

/** The vocabularies a model file names (specials first, as g2pVocabs makes them), or null if it has none. */
export function vocabsFromMetadata(metadata: Record<string, string>): G2PVocabs | null {
  if (metadata.graphemes === undefined || metadata.phonemes === undefined) return null;
  const make = (json: string, what: string): Vocab => {
    const tokens: unknown = JSON.parse(json);
    if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string') || G2P_SPECIALS.some((s, i) => tokens[i] !== s)) {
      throw new RangeError(`G2P model file: its ${what} vocabulary must be a list of strings starting with ${G2P_SPECIALS.join(', ')}`);
    }
    return new Vocab(tokens as string[], { unknownToken: '<unk>' });
  };
  return { graphemes: make(metadata.graphemes, 'grapheme'), phonemes: make(metadata.phonemes, 'phoneme') };
}

/** A model file back: the model (config from the metadata) and its vocabularies. Checked before anything is built. */
export function loadG2PModel(ctx: Context, bytes: Uint8Array): { model: Seq2Seq; vocabs: G2PVocabs; config: Seq2SeqConfig } {
  const { tensors, shapes, metadata } = loadSafetensors(bytes);
  if (metadata.config === undefined) throw new RangeError('G2P model file: no config in its metadata');
  const config = resolveSeq2SeqOptions(JSON.parse(metadata.config));
  const vocabs = vocabsFromMetadata(metadata);
  if (!vocabs) throw new RangeError('G2P model file: no graphemes/phonemes vocabularies in its metadata');
  if (vocabs.graphemes.size !== config.srcVocabSize || vocabs.phonemes.size !== config.tgtVocabSize) {
    throw new RangeError(`G2P model file: vocabularies of ${vocabs.graphemes.size} / ${vocabs.phonemes.size} symbols, but the config says ${config.srcVocabSize} / ${config.tgtVocabSize}`);
  }
  const model = new Seq2Seq(ctx, config);
  model.loadStateDict(tensors, shapes);
  return { model, vocabs, config };
}

/** Attention weights [T, S] of one word's decoding (teacher-forced on `phonemes`), for a heat map; null without attention. */
export async function attentionMap(model: Seq2Seq, vocabs: G2PVocabs, word: string, phonemes: readonly string[]): Promise<Float32Array[] | null> {
  if (!model.config.attention) return null;
  const { src, lens, S } = encodeWords([word], vocabs);
  const dec = Int32Array.from([G2P_IDS.bos, ...phonemes.map((p) => vocabs.phonemes.tokenToIdx.get(p) ?? G2P_IDS.unk)]);
  const ctx = model.ctx;
  const srcT = ctx.tensor(src, [1, S], 'int32');
  const decT = ctx.tensor(dec, [1, dec.length], 'int32');
  const { logits, weights } = noGrad(() => model.forwardWithAttention(srcT, lens, decT));
  const data = (await weights!.read()) as Float32Array;
  for (const t of [srcT, decT, logits, weights!]) t.dispose();
  return Array.from({ length: dec.length }, (_, t) => data.slice(t * S, (t + 1) * S));
}
