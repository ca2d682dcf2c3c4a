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

  // Truncated first, so a large text costs only the characters kept (newline replacement is per character,
  // so replacing after truncating gives the same result).
  const head = maxChars === undefined ? text : firstCodePoints(text, maxChars);
  const chars = Array.from(newlinesToSpaces ? head.replace(/[\n\r]/g, ' ') : head);
  if (chars.length === 0) throw new Error('corpus is empty');
  const vocab = Vocab.fromTokens(chars);
  return { vocab, indices: encodeChars(chars, vocab) };
}

/**
 * d2l 2nd edition: each line becomes `re.sub('[^A-Za-z]+', ' ', line).strip().lower()`,
 * the lines' characters are concatenated WITHOUT separators (as `load_corpus_time_machine`
 * does), the vocabulary is built from the whole text, and `maxChars` then truncates the
 * ids (d2l's `max_tokens`). The vocabulary needs one pass over the whole text, done here as a
 * stream of character codes: memory is bounded by `maxChars`, never by the text's length.
 */
function timeMachineCorpus(text: string, maxChars: number | undefined): CharCorpus {
  const limit = maxChars ?? Infinity;
  const kept: number[] = []; // the first `limit` output characters, as char codes (a-z and space)
  const counts = new Map<number, number>(); // insertion order = first appearance, like Counter
  let total = 0;
  const emit = (code: number) => {
    counts.set(code, (counts.get(code) ?? 0) + 1);
    if (total++ < limit) kept.push(code);
  };
  let lineHasLetters = false; // strip(): no space before a line's first letter
  let pendingSpace = false; //   nor after its last
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) {
      lineHasLetters = pendingSpace = false; // Python's readlines() splits on \n, \r\n and \r
    } else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
      if (pendingSpace) emit(0x20);
      emit(c | 0x20); // lower()
      lineHasLetters = true;
      pendingSpace = false;
    } else if (lineHasLetters) {
      pendingSpace = true; // a run of non-letters becomes one space
    }
  }
  if (total === 0) throw new Error('corpus is empty');

  // Array.prototype.sort is stable, matching Python's sorted(..., reverse=True) on ties.
  const byFrequency = [...counts].sort((a, b) => b[1] - a[1]).map(([code]) => String.fromCharCode(code));
  const vocab = new Vocab([UNKNOWN_TOKEN, ...byFrequency], { unknownToken: UNKNOWN_TOKEN });
  if (kept.length === 0) throw new Error('corpus is empty');
  return { vocab, indices: encodeChars(kept.map((code) => String.fromCharCode(code)), vocab) };
}

/** The first `count` code points of `text` (a surrogate pair is one), without touching the rest. */
function firstCodePoints(text: string, count: number): string {
  let end = 0;
  for (let n = 0; n < count && end < text.length; n++) {
    const c = text.charCodeAt(end);
    const pair = c >= 0xd800 && c <= 0xdbff && end + 1 < text.length && (text.charCodeAt(end + 1) & 0xfc00) === 0xdc00;
    end += pair ? 2 : 1;
  }
  return text.slice(0, end);
}

function encodeChars(chars: readonly string[], vocab: Vocab): Int32Array {
  const indices = new Int32Array(chars.length);
  chars.forEach((ch, i) => (indices[i] = vocab.tokenToIdx.get(ch)!));
  return indices;
}

export { Vocab } from './vocab.js';
export type { VocabJSON, VocabOptions } from './vocab.js';
