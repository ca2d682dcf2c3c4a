import { Vocab } from './vocab.js';

export interface CharCorpusOptions {
  /** Keep only the first `maxChars` characters (code points) of the corpus. */
  maxChars?: number;
  /** 'chars' mode: replace '\n' and '\r' with ' ' first (default true). */
  newlinesToSpaces?: boolean;
  /**
   * 'chars' (default): d2l 1st edition `load_data_jay_lyrics`; every distinct character
   *   is a token, ids in first-appearance order (Python's `list(set(...))` order is
   *   arbitrary, so we pick the deterministic order).
   * 'timemachine': d2l 2nd edition `load_corpus_time_machine`; letters only, lower-cased,
   *   `<unk>` at id 0, then tokens by descending frequency (ties: first appearance).
   */
  mode?: 'chars' | 'timemachine';
}

export interface CharCorpus {
  vocab: Vocab;
  indices: Int32Array;
}

export const UNKNOWN_TOKEN = '<unk>';

export function charCorpus(text: string, opts: CharCorpusOptions = {}): CharCorpus {
  const { maxChars, newlinesToSpaces = true, mode = 'chars' } = opts;
  if (maxChars !== undefined && !(Number.isInteger(maxChars) && maxChars >= 0)) {
    throw new RangeError(`maxChars must be a non-negative integer, got ${maxChars}`);
  }
  if (mode === 'timemachine') return timeMachineCorpus(text, maxChars);
  if (mode !== 'chars') throw new RangeError(`unknown corpus mode ${JSON.stringify(mode)}`);

  const cleaned = newlinesToSpaces ? text.replace(/[\n\r]/g, ' ') : text;
  let chars = Array.from(cleaned);
  if (maxChars !== undefined) chars = chars.slice(0, maxChars);
  if (chars.length === 0) throw new Error('corpus is empty');
  const vocab = Vocab.fromTokens(chars);
  return { vocab, indices: encodeChars(chars, vocab) };
}

/**
 * d2l 2nd edition: each line becomes `re.sub('[^A-Za-z]+', ' ', line).strip().lower()`,
 * the lines' characters are concatenated WITHOUT separators (as `load_corpus_time_machine`
 * does), the vocabulary is built from the whole text, and `maxChars` then truncates the
 * ids (d2l's `max_tokens`).
 */
function timeMachineCorpus(text: string, maxChars: number | undefined): CharCorpus {
  // Python's readlines() in text mode splits on \n, \r\n and \r.
  const lines = text.split(/\r\n|\r|\n/).map((line) => line.replace(/[^A-Za-z]+/g, ' ').trim().toLowerCase());
  const chars = Array.from(lines.join(''));
  if (chars.length === 0) throw new Error('corpus is empty');

  const counts = new Map<string, number>(); // insertion order = first appearance, like Counter
  for (const ch of chars) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  // Array.prototype.sort is stable, matching Python's sorted(..., reverse=True) on ties.
  const byFrequency = [...counts].sort((a, b) => b[1] - a[1]).map(([ch]) => ch);
  const vocab = new Vocab([UNKNOWN_TOKEN, ...byFrequency], { unknownToken: UNKNOWN_TOKEN });

  const kept = maxChars === undefined ? chars : chars.slice(0, maxChars);
  if (kept.length === 0) throw new Error('corpus is empty');
  return { vocab, indices: encodeChars(kept, vocab) };
}

function encodeChars(chars: readonly string[], vocab: Vocab): Int32Array {
  const indices = new Int32Array(chars.length);
  chars.forEach((ch, i) => (indices[i] = vocab.tokenToIdx.get(ch)!));
  return indices;
}

export { Vocab } from './vocab.js';
export type { VocabJSON, VocabOptions } from './vocab.js';
