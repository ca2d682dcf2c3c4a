import { describe, it, expect } from 'vitest';
import { charCorpus, consecutiveIter, makeRng, minCorpusLength, numBatches, randomIter, sequentialIter, Vocab } from '../src/data/index.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const rows = (flat: Int32Array, width: number) =>
  Array.from({ length: flat.length / width }, (_, r) => Array.from(flat.subarray(r * width, (r + 1) * width)));

describe('charCorpus (chars mode, d2l load_data_jay_lyrics)', () => {
  it('replaces newlines with spaces and numbers characters by first appearance', () => {
    const { vocab, indices } = charCorpus('abca\nb\r');
    expect(vocab.idxToToken).toEqual(['a', 'b', 'c', ' ']);
    expect(Array.from(indices)).toEqual([0, 1, 2, 0, 3, 1, 3]);
    expect(vocab.size).toBe(4);
  });

  it('keeps newlines when newlinesToSpaces is false', () => {
    const { vocab } = charCorpus('a\nb', { newlinesToSpaces: false });
    expect(vocab.idxToToken).toEqual(['a', '\n', 'b']);
  });

  it('counts maxChars in code points, not UTF-16 units', () => {
    expect(charCorpus('想要有直升机', { maxChars: 3 }).vocab.decode([0, 1, 2])).toBe('想要有');
    const emoji = charCorpus('😀a😀b', { maxChars: 3 });
    expect(emoji.vocab.idxToToken).toEqual(['😀', 'a']);
    expect(Array.from(emoji.indices)).toEqual([0, 1, 0]);
  });

  it('rejects an empty corpus and a bad maxChars', () => {
    expect(() => charCorpus('')).toThrow('corpus is empty');
    expect(() => charCorpus('abc', { maxChars: 0 })).toThrow('corpus is empty');
    expect(() => charCorpus('abc', { maxChars: -1 })).toThrow(RangeError);
    expect(() => charCorpus('abc', { maxChars: 1.5 })).toThrow(/maxChars/);
  });
});

describe('charCorpus (timemachine mode, d2l 2nd edition)', () => {
  const text = 'The Time\nMachine, by H. G. Wells [1898]\r\n\n  Zz!\n';

  it('keeps lower-cased letters, joins lines without separators, orders by frequency', () => {
    const { vocab, indices } = charCorpus(text, { mode: 'timemachine' });
    // lines: 'the time' | 'machine by h g wells' | '' | 'zz' | ''  → joined without separators
    const joined = 'the timemachine by h g wellszz';
    // counts: ' ' 5, e 4, h 3, t i m l z 2, the rest 1; ties keep first appearance
    // (expected list produced by the d2l Python code on the same text)
    expect(vocab.idxToToken).toEqual(
      ['<unk>', ' ', 'e', 'h', 't', 'i', 'm', 'l', 'z', 'a', 'c', 'n', 'b', 'y', 'g', 'w', 's'],
    );
    expect(vocab.decode(indices)).toBe(joined);
    expect(vocab.unknownToken).toBe('<unk>');
  });

  it('maps unknown characters to <unk> (id 0) and truncates after building the vocabulary', () => {
    const { vocab, indices } = charCorpus(text, { mode: 'timemachine', maxChars: 3 });
    expect(vocab.decode(indices)).toBe('the');
    expect(vocab.tokenToIdx.get('z')).toBe(8); // vocabulary still covers the whole text
    expect(Array.from(vocab.encode('eQ!'))).toEqual([2, 0, 0]);
  });

  it('rejects a text without letters', () => {
    expect(() => charCorpus('123 456\n', { mode: 'timemachine' })).toThrow('corpus is empty');
  });
});

describe('Vocab', () => {
  const vocab = Vocab.fromTokens(['a', 'b', 'a', 'c']);

  it('deduplicates in first-appearance order and round-trips text', () => {
    expect(vocab.idxToToken).toEqual(['a', 'b', 'c']);
    expect(vocab.tokenToIdx.get('c')).toBe(2);
    expect(Array.from(vocab.encode('cab'))).toEqual([2, 0, 1]);
    expect(vocab.decode([2, 0, 1])).toBe('cab');
  });

  it('names every character missing from the vocabulary once', () => {
    expect(() => vocab.encode('axyx')).toThrow(new RangeError('characters not in the vocabulary: "x", "y"'));
  });

  it('rejects out-of-range and non-integer ids, naming them', () => {
    expect(() => vocab.decode([0, 3])).toThrow(/token id 3 .*out of range for a vocabulary of 3/);
    expect(() => vocab.decode([-1])).toThrow(RangeError);
    expect(() => vocab.decode([0.5])).toThrow(/token id 0.5/);
  });

  it('survives a JSON round trip, including the unknown token', () => {
    const withUnk = new Vocab(['<unk>', 'x'], { unknownToken: '<unk>' });
    const restored = Vocab.fromJSON(JSON.parse(JSON.stringify(withUnk)));
    expect(restored.idxToToken).toEqual(['<unk>', 'x']);
    expect(restored.unknownToken).toBe('<unk>');
    expect(Array.from(restored.encode('xq'))).toEqual([1, 0]);
    expect(Vocab.fromJSON(vocab.toJSON()).idxToToken).toEqual(['a', 'b', 'c']);
  });

  it('rejects duplicate tokens and an unknown token outside the vocabulary', () => {
    expect(() => new Vocab(['a', 'a'])).toThrow(/appears twice/);
    expect(() => new Vocab(['a'], { unknownToken: '<unk>' })).toThrow(/not in the vocabulary/);
  });
});

describe('consecutiveIter (d2l data_iter_consecutive)', () => {
  it('matches the textbook example for 30 indices, batch 2, 6 steps', () => {
    const batches = [...consecutiveIter(range(30), 2, 6)];
    expect(batches).toHaveLength(2);
    expect(rows(batches[0]!.X, 6)).toEqual([[0, 1, 2, 3, 4, 5], [15, 16, 17, 18, 19, 20]]);
    expect(rows(batches[0]!.Y, 6)).toEqual([[1, 2, 3, 4, 5, 6], [16, 17, 18, 19, 20, 21]]);
    expect(rows(batches[1]!.X, 6)).toEqual([[6, 7, 8, 9, 10, 11], [21, 22, 23, 24, 25, 26]]);
    expect(rows(batches[1]!.Y, 6)).toEqual([[7, 8, 9, 10, 11, 12], [22, 23, 24, 25, 26, 27]]);
  });

  it('needs batchSize × (numSteps + 1) characters', () => {
    expect([...consecutiveIter(range(14), 2, 6)]).toHaveLength(1);
    expect(() => consecutiveIter(range(13), 2, 6)).toThrow(
      'corpus of 13 characters is too short for one batch of batchSize 2 × numSteps 6 (consecutive sampling): need at least 14',
    );
  });
});

describe('randomIter (d2l data_iter_random)', () => {
  it('serves each of the 4 non-overlapping examples once in 2 batches (30 indices, batch 2, 6 steps)', () => {
    const batches = [...randomIter(range(30), 2, 6, { seed: 1 })];
    expect(batches).toHaveLength(2);
    const starts: number[] = [];
    for (const { X, Y } of batches) {
      expect(X).toHaveLength(12);
      for (const row of rows(X, 6)) {
        expect(row[0]! % 6).toBe(0);
        expect(row).toEqual(range(6).map((k) => row[0]! + k));
        starts.push(row[0]!);
      }
      expect(Array.from(Y)).toEqual(Array.from(X, (v) => v + 1));
    }
    expect(starts.sort((a, b) => a - b)).toEqual([0, 6, 12, 18]);
  });

  it('uses the corpus values, not positions', () => {
    const corpus = range(13).map((v) => 100 + v);
    const [batch] = [...randomIter(corpus, 2, 6, { seed: 3 })];
    const firsts = rows(batch!.X, 6).map((r) => r[0]).sort();
    expect(firsts).toEqual([100, 106]);
    expect(Math.max(...batch!.Y)).toBe(112);
  });

  it('is deterministic for a seed and varies across seeds', () => {
    const epoch = (seed: number) => [...randomIter(range(200), 3, 5, { seed })].map((b) => Array.from(b.X));
    expect(epoch(7)).toEqual(epoch(7));
    expect(epoch(7)).not.toEqual(epoch(8));
    expect(epoch(7)).toHaveLength(13); // (199 // 5) // 3
  });

  it('shuffles roughly uniformly', () => {
    const firstCounts = [0, 0, 0, 0];
    for (let seed = 0; seed < 4000; seed++) {
      const [first] = randomIter(range(25), 1, 6, { seed });
      firstCounts[first!.X[0]! / 6]! += 1;
    }
    for (const count of firstCounts) expect(Math.abs(count - 1000)).toBeLessThan(120);
  });

  it('needs batchSize × numSteps + 1 characters', () => {
    expect([...randomIter(range(13), 2, 6)]).toHaveLength(1);
    expect(() => randomIter(range(10), 2, 6)).toThrow(
      'corpus of 10 characters is too short for one batch of batchSize 2 × numSteps 6 (random sampling): need at least 13',
    );
  });

  it('validates batchSize and numSteps when called, before iteration', () => {
    expect(() => randomIter(range(30), 0, 6)).toThrow(new RangeError('batchSize must be a positive integer, got 0'));
    expect(() => randomIter(range(30), 2, 1.5)).toThrow(/numSteps must be a positive integer/);
    expect(() => consecutiveIter(range(30), -2, 6)).toThrow(/batchSize/);
  });
});

describe('sequentialIter (d2l 2nd edition seq_data_iter_sequential)', () => {
  it('splits what follows the offset into batchSize streams, as the 2nd edition does for 35 indices, batch 2, 5 steps', () => {
    // offset 0: 34 tokens → rows [0..16], [17..33]; 17 // 5 = 3 batches. Y is the same window one character on.
    const at0 = [...sequentialIter(range(35), 2, 5, { offset: 0 })];
    expect(at0.map((b) => rows(b.X, 5))).toEqual([
      [[0, 1, 2, 3, 4], [17, 18, 19, 20, 21]],
      [[5, 6, 7, 8, 9], [22, 23, 24, 25, 26]],
      [[10, 11, 12, 13, 14], [27, 28, 29, 30, 31]],
    ]);
    expect(at0.map((b) => rows(b.Y, 5))).toEqual(at0.map((b) => rows(b.X, 5).map((r) => r.map((v) => v + 1))));
    // offset 2: (35 - 2 - 1) // 2 = 16 per row → rows [2..17], [18..33]; 16 // 5 = 3 batches.
    const at2 = [...sequentialIter(range(35), 2, 5, { offset: 2 })];
    expect(at2.map((b) => rows(b.X, 5))).toEqual([
      [[2, 3, 4, 5, 6], [18, 19, 20, 21, 22]],
      [[7, 8, 9, 10, 11], [23, 24, 25, 26, 27]],
      [[12, 13, 14, 15, 16], [28, 29, 30, 31, 32]],
    ]);
    // offset 5 (= numSteps, the largest): (35 - 5 - 1) // 2 = 14 per row → 2 batches.
    expect([...sequentialIter(range(35), 2, 5, { offset: 5 })]).toHaveLength(2);
  });

  it('draws the offset in [0, numSteps] from the seed (both ends included, as random.randint)', () => {
    const first = (seed: number) => [...sequentialIter(range(60), 2, 5, { seed })][0]!.X[0]!;
    const offsets = new Set(Array.from({ length: 200 }, (_, seed) => first(seed)));
    expect([...offsets].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(first(7)).toBe(first(7));
  });

  it('needs batchSize·numSteps + numSteps + 1 characters, so that the largest offset still gives a batch', () => {
    expect(minCorpusLength(2, 5, 'sequential')).toBe(16);
    for (let offset = 0; offset <= 5; offset++) expect([...sequentialIter(range(16), 2, 5, { offset })]).toHaveLength(1);
    expect(() => sequentialIter(range(15), 2, 5)).toThrow(
      'corpus of 15 characters is too short for one batch of batchSize 2 × numSteps 5 (sequential sampling): need at least 16',
    );
    expect(() => sequentialIter(range(35), 2, 5, { offset: 6 })).toThrow(/offset must be an integer in \[0, numSteps = 5\], got 6/);
  });
});

describe('numBatches', () => {
  it('agrees with the iterators', () => {
    for (const [len, bs, ns] of [[30, 2, 6], [1000, 7, 13], [14, 2, 6], [13, 2, 6]] as const) {
      expect(numBatches(len, bs, ns, 'random')).toBe(Math.floor(Math.floor((len - 1) / ns) / bs));
      expect(numBatches(len, bs, ns, 'consecutive')).toBe(Math.floor((Math.floor(len / bs) - 1) / ns));
    }
    expect(numBatches(1000, 7, 13, 'random')).toBe([...randomIter(range(1000), 7, 13, { seed: 0 })].length);
    expect(numBatches(1000, 7, 13, 'consecutive')).toBe([...consecutiveIter(range(1000), 7, 13)].length);
    expect(numBatches(1000, 7, 13, 'sequential')).toBe([...sequentialIter(range(1000), 7, 13, { offset: 0 })].length);
    expect(numBatches(0, 2, 6, 'random')).toBe(0);
    expect(numBatches(1, 2, 6, 'consecutive')).toBe(0);
  });
});

describe('makeRng (mulberry32)', () => {
  it('matches the reference mulberry32 sequence', () => {
    const rng = makeRng(42);
    expect(rng()).toBeCloseTo(0.6011037519201636, 15);
    expect(rng()).toBeCloseTo(0.44829055899754167, 15);
    expect(rng()).toBeCloseTo(0.8524657934904099, 15);
    const zero = makeRng(0);
    expect(zero()).toBeCloseTo(0.26642920868471265, 15);
  });

  it('stays in [0, 1) and works without a seed', () => {
    const rng = makeRng();
    for (let i = 0; i < 1000; i++) {
      const x = rng();
      expect(x >= 0 && x < 1).toBe(true);
    }
    expect(() => makeRng(Number.NaN)).toThrow(RangeError);
  });
});
