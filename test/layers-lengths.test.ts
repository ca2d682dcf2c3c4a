// Variable-length batches (API.md 10) and LSTM projections (API.md 9) against PyTorch fixtures
// (test/fixtures/lengths.json, made by gen_fixtures_lengths.py): outputs, final states and every gradient, 1e-4.
import { afterAll, beforeAll, describe, it } from 'vitest';
import type * as wr from '../src/index.js';
import lengths from './fixtures/lengths.json';
import { testContext } from './helpers.js';
import { checkLayerCase, type LayerCase } from './layers-fixtures.js';

const cases = (lengths as { cases: LayerCase[] }).cases;

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

describe('variable lengths and projections match PyTorch', () => {
  for (const c of cases) {
    it(c.name, () => checkLayerCase(ctx, c));
  }
});
