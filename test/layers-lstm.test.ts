// nn.LSTM against PyTorch fixtures: forward, final states and every gradient (1e-4 absolute).
import { afterAll, beforeAll, describe, it } from 'vitest';
import type * as wr from '../src/index.js';
import { testContext } from './helpers.js';
import { checkLayerCase, layerCases } from './layers-fixtures.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

describe('lstm layer matches PyTorch', () => {
  for (const c of layerCases.filter((c) => c.cell === 'lstm')) {
    it(c.name, () => checkLayerCase(ctx, c));
  }
});
