// The scatter-add behind gather's gradient at many tokens: the stable counting pass (gather_count, O(N·WG)
// rather than O(N²)) must give every table row its rows of dout summed in index order, so the float32 sums
// equal a CPU float32 loop over n = 0 … N-1 bit for bit, run after run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { randomArray, testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

/** dtable[v, d] = Σ_{n: ids[n] = v} dout[n, d], added in float32 in index order (what the kernel does). */
function cpuScatterAddF32(dout: Float32Array, ids: Int32Array, V: number, D: number, transposed: boolean): Float32Array {
  const out = new Float32Array(V * D);
  for (let n = 0; n < ids.length; n++) {
    for (let d = 0; d < D; d++) {
      const i = transposed ? d * V + ids[n] : ids[n] * D + d;
      out[i] = Math.fround(out[i] + dout[n * D + d]);
    }
  }
  return out;
}

/** N ids over V rows, skewed (a few hot rows, as in text: runs of one id longer than a workgroup). */
function skewedIds(N: number, V: number, seed: number): Int32Array {
  const rng = wr.data.makeRng(seed);
  return Int32Array.from({ length: N }, (_, n) => (n >= 3000 && n < 3600 ? 7 : rng() < 0.5 ? Math.floor(rng() * 3) : Math.floor(rng() * V)));
}

describe('gather backward at 20,000 tokens', () => {
  for (const transposed of [false, true]) {
    it(`N 20000, V 50, D 3${transposed ? ', transposed table' : ''}: bit-identical to the CPU's index-order sums, and on a second run`, async () => {
      const N = 20000, V = 50, D = 3;
      const ids = skewedIds(N, V, 5);
      const dout = randomArray(N * D, 6);
      const table = ctx.tensor(randomArray(V * D, 7), transposed ? [D, V] : [V, D]);
      table.requiresGrad = true;
      const idsT = ctx.tensor(ids, [N], 'int32');
      const expected = cpuScatterAddF32(dout, ids, V, D, transposed);
      const runs: Float32Array[] = [];
      for (let run = 0; run < 2; run++) {
        table.grad?.dispose();
        table.grad = null;
        const out = wr.ops.gather(table, idsT, { transposed });
        out.backward(ctx.tensor(dout, [N, D]));
        runs.push((await table.grad!.read()) as Float32Array);
        out.dispose();
      }
      expect(Array.from(runs[0])).toEqual(Array.from(expected));
      expect(Array.from(runs[1])).toEqual(Array.from(runs[0]));
      // Every id counted: the gradient rows sum to the whole of dout (a row no id hit is exactly 0).
      const hit = new Set(ids);
      for (let v = 0; v < V; v++) if (!hit.has(v)) expect(expected[transposed ? v : v * D]).toBe(0);
    });
  }
});
