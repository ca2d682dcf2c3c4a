import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

describe('smoke', () => {
  it('round-trips a tensor', async () => {
    const t = ctx.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(Array.from(await t.read())).toEqual([1, 2, 3, 4, 5, 6]);
    const m = wr.ops.matmul(t, t, { transB: true });
    expect(Array.from(await m.read())).toEqual([14, 32, 32, 77]);
  });
});
