// wr.metrics: Levenshtein distance and G2P's PER/WER, on hand-computed cases and against a brute-force recursion.
import { describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';

const { editDistance, errorRates } = wr.metrics;

/** The textbook recursion, no table: exponential, so only for short sequences — an independent definition. */
function bruteForce(a: readonly unknown[], b: readonly unknown[]): number {
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  const cost = a[a.length - 1] === b[b.length - 1] ? 0 : 1;
  return Math.min(
    bruteForce(a.slice(0, -1), b) + 1,
    bruteForce(a, b.slice(0, -1)) + 1,
    bruteForce(a.slice(0, -1), b.slice(0, -1)) + cost,
  );
}

describe('metrics.editDistance', () => {
  it('hand-computed cases', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('flaw', 'lawn')).toBe(2);
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance([1, 2, 3], [3, 2, 1])).toBe(2);
    expect(editDistance(Int32Array.from([5, 6]), [5, 7, 6])).toBe(1);
    // phoneme tokens are whole strings, not characters
    expect(editDistance(['AH', 'B', 'AW', 'T'], ['AH', 'B', 'AW', 'D'])).toBe(1);
    expect(editDistance(['AA'], ['A', 'A'])).toBe(2);
    // a string is a sequence of code points (an emoji is one token)
    expect(editDistance('a😀b', 'ab')).toBe(1);
  });

  it('is symmetric and agrees with the brute-force recursion on random short sequences', () => {
    const rng = wr.data.makeRng(7);
    for (let trial = 0; trial < 300; trial++) {
      const a = Array.from({ length: Math.floor(rng() * 7) }, () => Math.floor(rng() * 3));
      const b = Array.from({ length: Math.floor(rng() * 7) }, () => Math.floor(rng() * 3));
      const expected = bruteForce(a, b);
      expect(editDistance(a, b), `${a} vs ${b}`).toBe(expected);
      expect(editDistance(b, a), `${b} vs ${a}`).toBe(expected);
    }
  });

  it('rejects what is not a sequence', () => {
    expect(() => editDistance(null as never, [1])).toThrow(/a must be a string or an array-like/);
    expect(() => editDistance([1], 5 as never)).toThrow(/b must be a string or an array-like/);
  });
});

describe('metrics.errorRates', () => {
  it('scores against the closest reference; ties go to the first listed', () => {
    const hyps = [
      ['T', 'AH', 'M', 'EY', 'T', 'OW'], // TOMATO: exact match of the 2nd reference
      ['K', 'AE', 'T'],                  // CAT: one substitution against its only reference
      ['R', 'IY', 'D'],                  // READ: ref 1 "R EH D" (d 1, len 3) and ref 2 "R IY D Z" (d 1, len 4) tie
    ];
    const refs = [
      [['T', 'AH', 'M', 'AA', 'T', 'OW'], ['T', 'AH', 'M', 'EY', 'T', 'OW']],
      [['K', 'AE', 'D']],
      [['R', 'EH', 'D'], ['R', 'IY', 'D', 'Z']],
    ];
    const { per, wer } = errorRates(hyps, refs);
    // distances 0 + 1 + 1 over reference lengths 6 + 3 + 3 (the tie picks the first, length 3)
    expect(per).toBeCloseTo(2 / 12, 12);
    expect(wer).toBeCloseTo(2 / 3, 12);
    // listing the tied references the other way round changes the denominator: 2 / 13
    const swapped = errorRates(hyps, [refs[0]!, refs[1]!, [refs[2]![1]!, refs[2]![0]!]]);
    expect(swapped.per).toBeCloseTo(2 / 13, 12);
    expect(swapped.wer).toBeCloseTo(2 / 3, 12);
  });

  it('an empty hypothesis costs the whole reference', () => {
    expect(errorRates([[]], [[['AH', 'B']]])).toEqual({ per: 1, wer: 1 });
    expect(errorRates([['AH', 'B']], [[['AH', 'B']]])).toEqual({ per: 0, wer: 0 });
  });

  it('agrees with a brute-force scorer on random rows', () => {
    const rng = wr.data.makeRng(11);
    const tok = () => ['A', 'B', 'C'][Math.floor(rng() * 3)]!;
    const seq = () => Array.from({ length: 1 + Math.floor(rng() * 5) }, tok);
    const hyps = Array.from({ length: 40 }, seq);
    const refs = hyps.map(() => Array.from({ length: 1 + Math.floor(rng() * 3) }, seq));
    let errors = 0, length = 0, wrong = 0;
    hyps.forEach((h, i) => {
      const ds = refs[i]!.map((r) => bruteForce(h, r));
      const best = ds.indexOf(Math.min(...ds));
      errors += ds[best]!;
      length += refs[i]![best]!.length;
      if (!refs[i]!.some((r) => r.join(' ') === h.join(' '))) wrong++;
    });
    const got = errorRates(hyps, refs);
    expect(got.per).toBeCloseTo(errors / length, 12);
    expect(got.wer).toBeCloseTo(wrong / hyps.length, 12);
  });

  it('bad input: a clear error naming the problem', () => {
    expect(() => errorRates([['A']], [])).toThrow(/1 hypotheses but 0 reference lists/);
    expect(() => errorRates([], [])).toThrow(/no rows/);
    expect(() => errorRates([['A']], [[]])).toThrow(/row 0 has no reference/);
    expect(() => errorRates(['A' as never], [[['A']]])).toThrow(/hypothesis 0 is not an array/);
    expect(() => errorRates([['A']], [['A' as never]])).toThrow(/refs\[0\]\[0\] is not an array/);
    expect(() => errorRates([[]], [[[]]])).toThrow(/PER is undefined/);
  });
});
