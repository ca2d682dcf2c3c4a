// Node only: reads the textbook corpora from ../shared/data (outside the repo, never copied in).
import { describe, it, expect } from 'vitest';
import { charCorpus, consecutiveIter, numBatches, randomIter } from '../src/data/index.js';
import { readCorpus as read } from './shared-data.js';

describe('Jay Chou lyrics (d2l 1st edition load_data_jay_lyrics)', () => {
  const { vocab, indices } = charCorpus(read('jaychou_lyrics.txt'), { maxChars: 10000 });

  it('has the textbook vocabulary size 1027 over the first 10000 characters', () => {
    expect(vocab.size).toBe(1027);
    expect(indices).toHaveLength(10000);
    expect(vocab.decode(indices.subarray(0, 6))).toBe('想要有直升机');
    expect(vocab.idxToToken.slice(0, 8)).toEqual(['想', '要', '有', '直', '升', '机', ' ', '和']);
  });

  it('feeds both iterators with the textbook hyperparameters (batch 32, 35 steps)', () => {
    expect(numBatches(indices.length, 32, 35, 'random')).toBe(8);
    expect(numBatches(indices.length, 32, 35, 'consecutive')).toBe(8);
    const [first] = consecutiveIter(indices, 32, 35);
    expect(vocab.decode(first!.X.subarray(0, 6))).toBe('想要有直升机');
    expect([...randomIter(indices, 32, 35, { seed: 0 })]).toHaveLength(8);
  });
});

describe('The Time Machine (d2l 2nd edition load_corpus_time_machine)', () => {
  const { vocab, indices } = charCorpus(read('timemachine.txt'), { mode: 'timemachine' });

  it('has 28 tokens (<unk>, space, 26 letters) and the textbook corpus length', () => {
    expect(vocab.size).toBe(28);
    expect(vocab.idxToToken.slice(0, 6)).toEqual(['<unk>', ' ', 'e', 't', 'a', 'i']);
    expect(indices).toHaveLength(170580);
    expect(Array.from(indices.subarray(0, 10))).toEqual([3, 9, 2, 1, 3, 5, 13, 2, 1, 13]);
    expect(vocab.decode(indices.subarray(0, 27))).toBe('the time machine by h g wel');
  });
});
