// Row gather by int32 ids (embedding lookup, one-hot·W without the one-hot), plain and transposed tables;
// its gradient is a deterministic scatter-add, checked against the CPU and against finite differences.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { dot, expectClose, numericGrad, randomArray, testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

/** out[n, d] = table[ids[n], d], or table[d, ids[n]] for a transposed [D, V] table. */
function cpuGather(table: ArrayLike<number>, ids: ArrayLike<number>, V: number, D: number, transposed: boolean): Float64Array {
  const out = new Float64Array(ids.length * D);
  for (let n = 0; n < ids.length; n++) {
    for (let d = 0; d < D; d++) out[n * D + d] = transposed ? table[d * V + ids[n]] : table[ids[n] * D + d];
  }
  return out;
}

/** dtable[ids[n], d] += dout[n, d], in the table's stored layout. */
function cpuScatterAdd(dout: ArrayLike<number>, ids: ArrayLike<number>, V: number, D: number, transposed: boolean): Float64Array {
  const out = new Float64Array(V * D);
  for (let n = 0; n < ids.length; n++) {
    for (let d = 0; d < D; d++) out[transposed ? d * V + ids[n] : ids[n] * D + d] += dout[n * D + d];
  }
  return out;
}

/** Ids with repeats (a few hot rows, as in text) and rows never used. */
function makeIds(n: number, V: number, seed: number): Int32Array {
  const rng = wr.data.makeRng(seed);
  return Int32Array.from({ length: n }, () => {
    const r = rng();
    return r < 0.4 ? Math.floor(r * 5) % V : Math.floor(rng() * V * 0.8);
  });
}

/** [V, D, ids shape] */
const CASES: [number, number, number[]][] = [
  [1, 1, [1]],
  [11, 5, [3, 4]],
  [7, 13, [17]],
  [67, 3, [300]], // more ids than a workgroup has threads
  [1000, 3, [5, 103]], // more table rows than the 256 threads of the bucket scan
];

describe('gather forward', () => {
  for (const transposed of [false, true]) {
    it(`${transposed ? 'transposed [D, V]' : '[V, D]'} table vs CPU`, async () => {
      for (const [V, D, idShape] of CASES) {
        const n = idShape.reduce((a, b) => a * b, 1);
        const table0 = randomArray(V * D, V * D);
        const ids0 = makeIds(n, V, V + n);
        const table = ctx.tensor(table0, transposed ? [D, V] : [V, D]);
        const ids = ctx.tensor(ids0, idShape);
        const out = wr.ops.gather(table, ids, { transposed });
        expect(out.shape).toEqual([...idShape, D]);
        expect(Array.from(await out.read())).toEqual(Array.from(cpuGather(table0, ids0, V, D, transposed)));
        for (const t of [table, ids, out]) t.dispose();
      }
    });
  }

  it('repeated ids read the same row', async () => {
    const table = ctx.tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    const out = wr.ops.gather(table, ctx.tensor(Int32Array.from([2, 2, 0, 2]), [4]));
    expect(Array.from(await out.read())).toEqual([5, 6, 5, 6, 1, 2, 5, 6]);
  });

  it('gatherInto with accumulate adds onto out', async () => {
    const table = ctx.tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    const out = ctx.tensor([10, 20, 30, 40], [2, 2]);
    wr.ops.gatherInto(out, table, ctx.tensor(Int32Array.from([1, 0]), [2]), 2, 2, 3, { accumulate: true });
    expect(Array.from(await out.read())).toEqual([13, 24, 31, 42]);
  });
});

describe('gather gradient', () => {
  for (const transposed of [false, true]) {
    it(`${transposed ? 'transposed' : 'plain'}: scatter-add vs CPU`, async () => {
      for (const [V, D, idShape] of CASES) {
        const n = idShape.reduce((a, b) => a * b, 1);
        const table0 = randomArray(V * D, V * D + 1);
        const ids0 = makeIds(n, V, 2 * V + n);
        const w = randomArray(n * D, n * D);
        const table = ctx.tensor(table0, transposed ? [D, V] : [V, D]);
        table.requiresGrad = true;
        const out = wr.ops.gather(table, ctx.tensor(ids0, idShape), { transposed });
        out.backward(ctx.tensor(w, [...idShape, D]));
        expectClose(await table.grad!.read(), cpuScatterAdd(w, ids0, V, D, transposed), 1e-5, 1e-5, `[${V}, ${D}] ids [${idShape}]`);
        table.dispose();
        out.dispose();
      }
    });

    it(`${transposed ? 'transposed' : 'plain'}: gradient vs finite differences`, async () => {
      for (const [V, D, idShape] of CASES.slice(0, 4)) {
        const n = idShape.reduce((a, b) => a * b, 1);
        const table0 = randomArray(V * D, V * D + 2);
        const ids0 = makeIds(n, V, 3 * V + n);
        const w = randomArray(n * D, n * D + 3);
        const table = ctx.tensor(table0, transposed ? [D, V] : [V, D]);
        table.requiresGrad = true;
        wr.ops.gather(table, ctx.tensor(ids0, idShape), { transposed }).backward(ctx.tensor(w, [...idShape, D]));
        const expected = numericGrad((v) => dot(cpuGather(v, ids0, V, D, transposed), w), table0);
        expectClose(await table.grad!.read(), expected, 1e-4, 1e-3, `[${V}, ${D}] ids [${idShape}]`);
      }
    });
  }

  it('accumulates into an existing gradient and is deterministic', async () => {
    const [V, D] = [9, 4];
    const ids0 = Int32Array.from([3, 3, 3, 0, 8, 3, 0]);
    const w = randomArray(ids0.length * D, 4);
    const runs: Float32Array[] = [];
    for (let r = 0; r < 2; r++) {
      const table = ctx.tensor(randomArray(V * D, 5), [V, D]);
      table.requiresGrad = true;
      const ids = ctx.tensor(ids0, [7]);
      wr.ops.gather(table, ids, {}).backward(ctx.tensor(w, [7, D]));
      wr.ops.gather(table, ids, {}).backward(ctx.tensor(w, [7, D]));
      runs.push((await table.grad!.read()) as Float32Array);
    }
    expectClose(runs[0], cpuScatterAdd(w, ids0, V, D, false).map((v) => 2 * v), 1e-5, 1e-5);
    expect(Array.from(runs[1])).toEqual(Array.from(runs[0]));
  });

  it('scatterAddInto without accumulate overwrites every element, rows no id hit included', async () => {
    const [V, D] = [9, 4];
    const ids0 = Int32Array.from([3, 3, 0, 8, 3]);
    const w = randomArray(ids0.length * D, 6);
    for (const transposed of [false, true]) {
      const dTable = ctx.tensor(new Float32Array(V * D).fill(Number.NaN), transposed ? [D, V] : [V, D]);
      wr.ops.scatterAddInto(dTable, ctx.tensor(w, [5, D]), ctx.tensor(ids0, [5]), 5, D, V, { transposed, accumulate: false });
      expectClose(await dTable.read(), cpuScatterAdd(w, ids0, V, D, transposed), 1e-6, 1e-6, `transposed ${transposed}`);
    }
  });
});

describe('gather errors', () => {
  it('an out-of-range id from the CPU throws a RangeError naming it', () => {
    const table = ctx.tensor(randomArray(11 * 5, 1), [11, 5]);
    expect(() => wr.ops.gather(table, ctx.tensor(Int32Array.from([0, 11, 2]), [3]))).toThrow(RangeError);
    expect(() => wr.ops.gather(table, ctx.tensor(Int32Array.from([0, 11, 2]), [3]))).toThrow(/id 11 at position 1/);
    expect(() => wr.ops.gather(table, ctx.tensor(Int32Array.from([-1]), [1]))).toThrow(/id -1/);
    // Transposed: the vocabulary is the second dimension.
    const tableT = ctx.tensor(randomArray(11 * 5, 1), [5, 11]);
    expect(() => wr.ops.gather(tableT, ctx.tensor(Int32Array.from([5, 10]), [2]), { transposed: true })).not.toThrow();
    expect(() => wr.ops.gather(tableT, ctx.tensor(Int32Array.from([11]), [1]), { transposed: true })).toThrow(/id 11/);
  });

  it('float ids and a table that is not 2-D throw', () => {
    const table = ctx.tensor(randomArray(6, 1), [3, 2]);
    expect(() => wr.ops.gather(table, ctx.tensor([0, 1], [2]))).toThrow(TypeError);
    expect(() => wr.ops.gather(ctx.tensor(randomArray(6, 1), [6]), ctx.tensor(Int32Array.from([0]), [1]))).toThrow(RangeError);
  });

  it('an out-of-range id made on the GPU gives NaN rows', async () => {
    const table = ctx.tensor([1, 2, 3, 4], [2, 2]);
    const ids = ctx.empty([2], 'int32');
    ctx.writeBuffer(ids.buffer, 0, Int32Array.from([1, 2]));
    const out = Array.from(await wr.ops.gather(table, ids).read());
    expect(out.slice(0, 2)).toEqual([3, 4]);
    expect(out.slice(2).every(Number.isNaN)).toBe(true);
  });
});
