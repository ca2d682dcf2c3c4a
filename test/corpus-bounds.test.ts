// Corpus input is bounded before any work (issue 10, item 4): decodeCorpus checks size, binary content and
// UTF-8 before handing text on; charCorpus truncates to maxChars before splitting the text into characters.
import { describe, it, expect, vi } from 'vitest';
import { charCorpus, decodeCorpus, makeRng, MAX_CORPUS_BYTES, UNKNOWN_TOKEN, Vocab } from '../src/data/index.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** The longest string that Array.from was asked to split while `run` ran. */
function longestSplit(run: () => void): number {
  const spy = vi.spyOn(Array, 'from');
  let longest = 0;
  try {
    run();
    for (const [arg] of spy.mock.calls) if (typeof arg === 'string') longest = Math.max(longest, arg.length);
  } finally {
    spy.mockRestore();
  }
  return longest;
}

describe('decodeCorpus', () => {
  it('decodes UTF-8, dropping a byte-order mark', () => {
    expect(decodeCorpus(utf8('\ufeff想要有直升机\n'))).toBe('想要有直升机\n');
    expect(decodeCorpus(utf8('abc').buffer as ArrayBuffer)).toBe('abc');
  });

  it('refuses a binary or UTF-16 file by its first NUL byte', () => {
    expect(() => decodeCorpus(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), { name: 'photo.png' })).toThrow(
      'photo.png is not a text file: it has a NUL byte at offset 8 (a binary file, or UTF-16 text; save it as UTF-8)',
    );
    const utf16 = new Uint8Array([0xff, 0xfe, 0x61, 0x00, 0x62, 0x00]);
    expect(() => decodeCorpus(utf16)).toThrow(/corpus is not a text file: it has a NUL byte at offset 3/);
  });

  it('refuses invalid UTF-8 instead of turning it into U+FFFD tokens', () => {
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1
    expect(() => decodeCorpus(latin1, { name: 'notes.txt' })).toThrow('notes.txt is not valid UTF-8 text (save it as UTF-8; Latin-1 and other encodings are not read)');
  });

  it('checks the size before decoding (an oversized invalid file gets the size error)', () => {
    const bytes = new Uint8Array(101).fill(0xff);
    expect(() => decodeCorpus(bytes, { maxBytes: 100, name: 'big.txt' })).toThrow(new RangeError('big.txt is 101 bytes, over the limit of 100 bytes'));
    expect(MAX_CORPUS_BYTES).toBe(64 * 2 ** 20);
  });

  it('with maxChars, decodes only the bytes that can hold those characters', () => {
    // Invalid bytes beyond the first 4·maxChars are never looked at; a character cut at the boundary is dropped.
    const bytes = new Uint8Array([...utf8('想要有直升机'), 0xff]);
    expect(decodeCorpus(bytes, { maxChars: 3 })).toBe('想要有直');
    expect(decodeCorpus(bytes, { maxChars: 1 })).toBe('想');
    expect(charCorpus(decodeCorpus(bytes, { maxChars: 3 }), { maxChars: 3 }).vocab.idxToToken).toEqual(['想', '要', '有']);
    expect(() => decodeCorpus(bytes, { maxChars: 10 })).toThrow(/not valid UTF-8/);
    expect(() => decodeCorpus(bytes, { maxChars: -1 })).toThrow(RangeError);
  });
});

describe('charCorpus works on maxChars characters, not the whole text', () => {
  const big = `${'ab\r\ncd 😀'.repeat(50_000)}`;

  it("'chars' mode splits only the first maxChars characters", () => {
    let corpus: ReturnType<typeof charCorpus> | undefined;
    expect(longestSplit(() => (corpus = charCorpus(big, { maxChars: 10 })))).toBeLessThanOrEqual(20);
    expect(corpus!.vocab.decode(Array.from(corpus!.indices))).toBe('ab  cd 😀ab');
  });

  it("'timemachine' mode counts the whole text for the vocabulary but keeps only maxChars characters", () => {
    let corpus: ReturnType<typeof charCorpus> | undefined;
    expect(longestSplit(() => (corpus = charCorpus(big, { mode: 'timemachine', maxChars: 10 })))).toBeLessThanOrEqual(20);
    expect(corpus!.indices).toHaveLength(10);
    expect(corpus!.vocab.idxToToken).toEqual([UNKNOWN_TOKEN, 'a', 'b', 'c', 'd', ' ']);
  });

  it("'timemachine' mode still matches d2l's load_corpus_time_machine on random texts", () => {
    // d2l 2nd edition, transcribed: read_time_machine() then tokenize(lines, 'char') and Vocab.
    const d2l = (text: string, maxTokens?: number) => {
      const lines = text.split(/\r\n|\r|\n/).map((line) => line.replace(/[^A-Za-z]+/g, ' ').trim().toLowerCase());
      const chars = Array.from(lines.join(''));
      const counts = new Map<string, number>();
      for (const ch of chars) counts.set(ch, (counts.get(ch) ?? 0) + 1);
      const tokens = [UNKNOWN_TOKEN, ...[...counts].sort((a, b) => b[1] - a[1]).map(([ch]) => ch)];
      const vocab = new Vocab(tokens, { unknownToken: UNKNOWN_TOKEN });
      const kept = maxTokens === undefined ? chars : chars.slice(0, maxTokens);
      return { tokens, ids: kept.map((ch) => vocab.tokenToIdx.get(ch)!) };
    };
    const rng = makeRng(7);
    const alphabet = ['a', 'B', 'z', 'Q', ' ', '  ', '\n', '\r\n', '\r', '1', '--', 'é', '😀', '\t'];
    for (let trial = 0; trial < 200; trial++) {
      const text = Array.from({ length: Math.floor(rng() * 60) }, () => alphabet[Math.floor(rng() * alphabet.length)]).join('');
      const maxChars = rng() < 0.5 ? undefined : Math.floor(rng() * 30);
      const expected = d2l(text, maxChars);
      if (expected.ids.length === 0) {
        expect(() => charCorpus(text, { mode: 'timemachine', maxChars }), JSON.stringify(text)).toThrow('corpus is empty');
        continue;
      }
      const { vocab, indices } = charCorpus(text, { mode: 'timemachine', maxChars });
      expect(vocab.idxToToken, JSON.stringify(text)).toEqual(expected.tokens);
      expect(Array.from(indices), JSON.stringify(text)).toEqual(expected.ids);
    }
  });
});
