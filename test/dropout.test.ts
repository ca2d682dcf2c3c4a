// Dropout: the Philox generator against Random123's known answers, the GPU mask against its CPU rebuild
// (values and gradient exactly), the keep rate and scaling statistically, eval mode and p = 0 at zero
// dispatches, reproducibility from the seed, and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { randomArray, testContext } from './helpers.js';

const F = wr.nn.functional;
let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

/** The CPU rebuild of one dropout call: x · (bits >= floor(p·2^32) ? fround(1 / fround(1 - p)) : 0). */
function cpuDropout(x: Float32Array, p: number, draw: wr.nn.PhiloxDraw): Float32Array {
  const bits = wr.nn.randomWords(draw, x.length);
  const threshold = Math.floor(p * 2 ** 32);
  const scale = p === 1 ? 0 : Math.fround(1 / Math.fround(1 - p));
  return Float32Array.from(x, (v, i) => Math.fround(v * (bits[i] >= threshold ? scale : 0)));
}

describe('Philox4x32-10', () => {
  it("matches Random123's known-answer vectors", () => {
    const hex = (w: number[]) => w.map((v) => v.toString(16).padStart(8, '0')).join(' ');
    expect(hex(wr.nn.philox4x32([0, 0, 0, 0], [0, 0]))).toBe('6627e8d5 e169c58d bc57ac4c 9b00dbd8');
    const ones = 0xffffffff;
    expect(hex(wr.nn.philox4x32([ones, ones, ones, ones], [ones, ones]))).toBe('408f276d 41c83b0e a20bc7c6 6d5451fd');
    expect(hex(wr.nn.philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])))
      .toBe('d16cfe09 94fdcceb 5001e420 24126ea1');
  });

  it('a generator restarts from its seed and advances one draw per call', () => {
    const g = new wr.nn.Generator(7);
    expect(g.next()).toEqual({ seed: 7, offset: 0 });
    expect(g.next()).toEqual({ seed: 7, offset: 1 });
    g.manualSeed(2 ** 40 + 3);
    expect(g.next()).toEqual({ seed: 2 ** 40 + 3, offset: 0 });
    expect(new wr.nn.Generator().seed).toBe(wr.nn.DEFAULT_SEED);
    expect(() => g.manualSeed(-1)).toThrow(/seed must be an integer in \[0, 2\^53\), got -1/);
    expect(() => g.manualSeed(1.5)).toThrow(/got 1.5/);
    expect(g.next()).toEqual({ seed: 2 ** 40 + 3, offset: 1 }); // the failed calls changed nothing
  });
});

describe('F.dropout on the GPU', () => {
  // 1003 elements: not a multiple of 4, so the last Philox block is partial; a seed above 2^32 uses both key words.
  for (const [p, seed] of [[0.3, 5], [0.5, 2 ** 40 + 11], [0.9, 123]] as const) {
    it(`p = ${p}: the mask rebuilt on the CPU from the seed, forward and gradient exactly`, async () => {
      const xData = randomArray(1003, 17);
      const x = ctx.tensor(xData, [17, 59]);
      x.requiresGrad = true;
      const g = new wr.nn.Generator(seed);
      g.next(); // not the first draw: the offset is part of the key stream
      const y = F.dropout(x, { p, generator: g });
      expect(g.offset).toBe(2);
      const want = cpuDropout(xData, p, { seed, offset: 1 });
      expect(Array.from(await y.read())).toEqual(Array.from(want));
      const dyData = randomArray(1003, 18);
      y.backward(ctx.tensor(dyData, [17, 59]));
      expect(Array.from(await x.grad!.read())).toEqual(Array.from(cpuDropout(dyData, p, { seed, offset: 1 })));
    });
  }

  it('a gradient that already exists is accumulated into', async () => {
    const xData = randomArray(40, 3);
    const x = ctx.tensor(xData, [40]);
    x.requiresGrad = true;
    const g = new wr.nn.Generator(9);
    const y = F.dropout(x, { p: 0.5, generator: g });
    const sum = wr.ops.add(y, x); // x also reaches the sum directly: dx = mask·scale + 1
    sum.backward(ctx.tensor(new Float32Array(40).fill(1), [40]));
    const mask = cpuDropout(new Float32Array(40).fill(1), 0.5, { seed: 9, offset: 0 });
    expect(Array.from(await x.grad!.read())).toEqual(Array.from(mask, (m) => m + 1));
  });

  it('keeps a share 1 - p of the elements and scales them by 1 / (1 - p)', async () => {
    const n = 40000;
    for (const p of [0.2, 0.7]) {
      const ones = ctx.tensor(new Float32Array(n).fill(1), [n]);
      const y = (await F.dropout(ones, { p, generator: new wr.nn.Generator(31) }).read()) as Float32Array;
      const kept = y.filter((v) => v !== 0);
      const rate = kept.length / n;
      const sigma = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(rate - (1 - p)), `keep rate ${rate} at p = ${p}`).toBeLessThan(5 * sigma);
      expect(new Set(kept)).toEqual(new Set([Math.fround(1 / Math.fround(1 - p))]));
    }
  });

  it('p = 1 zeroes everything (PyTorch: x · 0) and its gradient', async () => {
    const x = ctx.tensor(randomArray(10, 4), [10]);
    x.requiresGrad = true;
    const y = F.dropout(x, { p: 1 });
    expect(Array.from(await y.read())).toEqual(Array.from(await x.read(), (v) => v * 0)); // -0 for negative x, as x * 0
    y.backward(ctx.tensor(randomArray(10, 5), [10]));
    expect(Array.from(await x.grad!.read())).toEqual(Array.from(randomArray(10, 5), (v) => v * 0));
  });

  it('eval mode and p = 0 are the identity at zero dispatches, and draw nothing', async () => {
    const data = randomArray(12, 6);
    const x = ctx.tensor(data, [3, 4]);
    x.requiresGrad = true;
    const g = new wr.nn.Generator(1);
    const before = ctx.dispatchCount;
    const a = F.dropout(x, { p: 0.5, training: false, generator: g });
    const b = F.dropout(x, { p: 0, generator: g });
    expect(ctx.dispatchCount).toBe(before);
    expect(g.offset).toBe(0);
    expect([...a.shape]).toEqual([3, 4]);
    expect(Array.from(await a.read())).toEqual(Array.from(data));
    expect(Array.from(await b.read())).toEqual(Array.from(data));
    a.backward(ctx.tensor(data, [3, 4]));
    expect(Array.from(await x.grad!.read())).toEqual(Array.from(data));
  });

  it("draws from the context's generator by default: manualSeed makes a run reproducible", async () => {
    const x = ctx.tensor(randomArray(64, 8), [64]);
    wr.nn.manualSeed(ctx, 77);
    const first = [await F.dropout(x).read(), await F.dropout(x).read()];
    expect(wr.nn.defaultGenerator(ctx).offset).toBe(2);
    wr.nn.manualSeed(ctx, 77);
    const again = [await F.dropout(x).read(), await F.dropout(x).read()];
    expect(again).toEqual(first);
    expect(first[1]).not.toEqual(first[0]); // each call its own mask
    const xData = (await x.read()) as Float32Array;
    expect(Array.from(first[1])).toEqual(Array.from(cpuDropout(xData, 0.5, { seed: 77, offset: 1 })));
  });

  it('rejects p outside [0, 1], int32 input and a bad generator, drawing nothing', () => {
    const x = ctx.tensor([1, 2, 3], [3]);
    const g = new wr.nn.Generator(3);
    const live = ctx.liveTensors;
    expect(() => F.dropout(x, { p: -0.1, generator: g })).toThrow(/dropout: p must be a number in \[0, 1\], got -0.1/);
    expect(() => F.dropout(x, { p: 1.5, generator: g })).toThrow(/got 1.5/);
    expect(() => F.dropout(x, { p: NaN, generator: g })).toThrow(/got NaN/);
    expect(() => F.dropout(ctx.tensor(Int32Array.from([1]), [1]), { generator: g })).toThrow(/expected a float32 tensor, got int32/);
    expect(() => F.dropout(x, { generator: {} as wr.nn.Generator })).toThrow(/generator must be a wr.nn.Generator/);
    expect(g.offset).toBe(0);
    expect(ctx.liveTensors).toBe(live + 1); // only the int32 tensor made in the test
  });
});

describe('nn.Dropout', () => {
  it('drops in training mode with its own seed, and is the identity after eval()', async () => {
    const data = randomArray(30, 9);
    const x = ctx.tensor(data, [5, 6]);
    const drop = new wr.nn.Dropout(ctx, { p: 0.4, seed: 21 });
    expect(drop.training).toBe(true);
    expect(Array.from(await drop.forward(x).read())).toEqual(Array.from(cpuDropout(data, 0.4, { seed: 21, offset: 0 })));
    expect(Array.from(await drop.forward(x).read())).toEqual(Array.from(cpuDropout(data, 0.4, { seed: 21, offset: 1 })));
    expect(drop.eval()).toBe(drop);
    expect(drop.training).toBe(false);
    const before = ctx.dispatchCount;
    const y = drop.forward(x);
    expect(ctx.dispatchCount).toBe(before);
    expect(Array.from(await y.read())).toEqual(Array.from(data));
    drop.train();
    expect(drop.training).toBe(true);
    expect(drop.generator!.offset).toBe(2);
  });

  it('defaults to p = 0.5 on the context generator; p = 1 is allowed; a p outside [0, 1] throws naming it', async () => {
    const drop = new wr.nn.Dropout(ctx);
    expect(drop.p).toBe(0.5);
    expect(drop.generator).toBeNull();
    wr.nn.manualSeed(ctx, 5);
    const data = randomArray(16, 2);
    expect(Array.from(await drop.forward(ctx.tensor(data, [16])).read())).toEqual(Array.from(cpuDropout(data, 0.5, { seed: 5, offset: 0 })));
    expect(Array.from(await new wr.nn.Dropout(ctx, { p: 1 }).forward(ctx.tensor(data, [16])).read())).toEqual(Array.from(data, (v) => v * 0));
    expect(() => new wr.nn.Dropout(ctx, { p: 1.01 })).toThrow(/Dropout: p must be a number in \[0, 1\], got 1.01/);
    expect(() => new wr.nn.Dropout(ctx, { p: -1 })).toThrow(/got -1/);
    expect(() => new wr.nn.Dropout(ctx, { seed: 1, generator: new wr.nn.Generator() })).toThrow(/seed or generator, not both/);
    expect(() => new wr.nn.Dropout(ctx, { seed: -2 })).toThrow(/seed must be an integer/);
  });
});
