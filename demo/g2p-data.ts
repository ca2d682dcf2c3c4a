// The G2P tab's data on the CPU: the bundled CMUdict words parsed, and a seeded split into training and
// validation words of the sizes the form asks for (every pronunciation of a word on one side).
import * as wr from '../src/index.js';

export function parseDict(dict: Record<string, string>, stress: boolean): wr.data.G2PEntry[] {
  return wr.data.parseStdlibCmudict(dict, { stripStress: !stress });
}

/** Whether a phoneme vocabulary carries stress digits (AH0, AH1 …). */
export function hasStress(phonemes: wr.data.Vocab): boolean {
  return phonemes.idxToToken.some((p) => /\d$/.test(p));
}

export interface Split {
  train: wr.data.G2PEntry[];
  valid: wr.data.G2PEntry[];
  trainWords: number;
  validWords: number;
}

/** `validWords` then `trainWords` distinct words of a seeded shuffle; a RangeError when there are not that many. */
export function pickSplit(entries: readonly wr.data.G2PEntry[], opts: { trainWords: number; validWords: number; seed: number }): Split {
  const words = [...wr.data.g2pReferences(entries).keys()];
  const { trainWords, validWords, seed } = opts;
  if (!Number.isInteger(trainWords) || trainWords < 1) throw new RangeError(`training words must be a positive whole number, got ${trainWords}`);
  if (!Number.isInteger(validWords) || validWords < 1) throw new RangeError(`validation words must be a positive whole number, got ${validWords}`);
  if (trainWords + validWords > words.length) {
    throw new RangeError(`${trainWords} training + ${validWords} validation words is more than the ${words.length} words bundled: ask for fewer`);
  }
  wr.data.shuffleInPlace(words, wr.data.makeRng(seed));
  const valid = new Set(words.slice(0, validWords));
  const train = new Set(words.slice(validWords, validWords + trainWords));
  return {
    train: entries.filter((e) => train.has(e.word)),
    valid: entries.filter((e) => valid.has(e.word)),
    trainWords,
    validWords,
  };
}

/** A typed word as the model's graphemes (upper case, as CMUdict), or an Error naming what does not fit. */
export function wordForModel(text: string, graphemes: wr.data.Vocab): string | Error {
  const word = text.trim().toUpperCase();
  if (word === '') return new Error('Type a word to transcribe');
  const chars = Array.from(word);
  if (chars.length > 40) return new Error(`"${text.trim()}" has ${chars.length} characters: the demo transcribes words of up to 40`);
  const unknown = [...new Set(chars.filter((c) => !graphemes.tokenToIdx.has(c)))];
  if (unknown.length > 0) {
    const alphabet = graphemes.idxToToken.slice(wr.data.G2P_SPECIALS.length).join('');
    return new Error(`"${text.trim()}" has characters the model has no grapheme for (${unknown.map((c) => JSON.stringify(c)).join(' ')}): it knows ${alphabet}`);
  }
  return word;
}
