// The fused cells at sizes the PyTorch fixtures do not reach: several LSTM tiles (8 rows × 8 units), more
// than one 64-wide chunk of the recurrent sum, batch and hidden sizes that fill no workgroup, both directions.
// Outputs against a float64 CPU version of each cell; gradients against float64 central finite differences
// of that CPU version, at sampled entries of every input.
import { afterAll, beforeAll, describe, it } from 'vitest';
import * as wr from '../src/index.js';
import { rnnSequence } from '../src/ops/rnn_cell.js';
import { gruSequence } from '../src/ops/gru_cell.js';
import { lstmSequence } from '../src/ops/lstm_cell.js';
import type { SequenceArgs } from '../src/ops/recurrence.js';
import { expectClose, randomArray, testContext } from './helpers.js';

type Cell = 'rnn' | 'gru' | 'lstm';
const GATES: Record<Cell, number> = { rnn: 1, gru: 3, lstm: 4 };

interface Inputs {
  xProj: Float64Array; wHH: Float64Array; bIH: Float64Array; bHH: Float64Array; h0: Float64Array; c0: Float64Array;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Float64 forward of one direction: output [T, B, H] (by time index), hN, cN. */
function cpuSequence(cell: Cell, p: Inputs, T: number, B: number, H: number, reverse: boolean) {
  const G = GATES[cell];
  const output = new Float64Array(T * B * H);
  let h = Float64Array.from(p.h0);
  let c = Float64Array.from(p.c0);
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    const hNext = new Float64Array(B * H);
    const cNext = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      const gx = new Float64Array(G * H);
      const gh = new Float64Array(G * H);
      for (let j = 0; j < G * H; j++) {
        gx[j] = p.xProj[(t * B + b) * G * H + j] + p.bIH[j];
        let s = p.bHH[j];
        for (let q = 0; q < H; q++) s += p.wHH[j * H + q] * h[b * H + q];
        gh[j] = s;
      }
      for (let u = 0; u < H; u++) {
        const o = b * H + u;
        if (cell === 'rnn') {
          hNext[o] = Math.tanh(gx[u] + gh[u]);
        } else if (cell === 'gru') {
          const r = sigmoid(gx[u] + gh[u]);
          const z = sigmoid(gx[H + u] + gh[H + u]);
          const n = Math.tanh(gx[2 * H + u] + r * gh[2 * H + u]);
          hNext[o] = (1 - z) * n + z * h[o];
        } else {
          const i = sigmoid(gx[u] + gh[u]);
          const f = sigmoid(gx[H + u] + gh[H + u]);
          const g = Math.tanh(gx[2 * H + u] + gh[2 * H + u]);
          const og = sigmoid(gx[3 * H + u] + gh[3 * H + u]);
          cNext[o] = f * c[o] + i * g;
          hNext[o] = og * Math.tanh(cNext[o]);
        }
      }
    }
    output.set(hNext, t * B * H);
    h = hNext;
    if (cell === 'lstm') c = cNext;
  }
  return { output, hN: h, cN: c };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const CASES: { cell: Cell; T: number; B: number; H: number; reverse: boolean }[] = [
  { cell: 'rnn', T: 3, B: 9, H: 65, reverse: false },
  { cell: 'gru', T: 3, B: 9, H: 65, reverse: true },
  { cell: 'lstm', T: 3, B: 9, H: 65, reverse: false },
  { cell: 'lstm', T: 4, B: 17, H: 33, reverse: true },
];

describe('fused cells vs a float64 CPU reference at multi-workgroup sizes', () => {
  for (const { cell, T, B, H, reverse } of CASES) {
    it(`${cell} T=${T} B=${B} H=${H}${reverse ? ' reverse' : ''}: outputs and sampled gradients`, async () => {
      const G = GATES[cell];
      const seed = T * 1000 + B * 10 + H;
      const scale = 1 / Math.sqrt(H);
      const f32 = {
        xProj: randomArray(T * B * G * H, seed + 1), wHH: randomArray(G * H * H, seed + 2, -scale, scale),
        bIH: randomArray(G * H, seed + 3, -scale, scale), bHH: randomArray(G * H, seed + 4, -scale, scale),
        h0: randomArray(B * H, seed + 5), c0: randomArray(B * H, seed + 6),
      };
      const inputs = Object.fromEntries(Object.entries(f32).map(([k, v]) => [k, Float64Array.from(v)])) as unknown as Inputs;
      const dOut = randomArray(T * B * H, seed + 7);
      const dHN = randomArray(B * H, seed + 8);
      const dCN = randomArray(B * H, seed + 9);

      const t = {
        xProj: ctx.tensor(f32.xProj, [T, B, G * H]), wHH: ctx.tensor(f32.wHH, [G * H, H]),
        bIH: ctx.tensor(f32.bIH, [G * H]), bHH: ctx.tensor(f32.bHH, [G * H]),
        h0: ctx.tensor(f32.h0, [B, H]), c0: ctx.tensor(f32.c0, [B, H]),
      };
      for (const x of Object.values(t)) x.requiresGrad = true;
      const args: SequenceArgs = { ...t, c0: cell === 'lstm' ? t.c0 : null, reverse };
      const r = cell === 'rnn' ? rnnSequence(args) : cell === 'gru' ? gruSequence(args) : lstmSequence(args);

      const ref = cpuSequence(cell, inputs, T, B, H, reverse);
      expectClose(await r.output.read(), ref.output, 2e-5, 1e-4, 'output');
      expectClose(await r.hN.read(), ref.hN, 2e-5, 1e-4, 'hN');
      if (r.cN) expectClose(await r.cN.read(), ref.cN, 2e-5, 1e-4, 'cN');

      const roots = [r.output, r.hN];
      const grads = [ctx.tensor(dOut, [T, B, H]), ctx.tensor(dHN, [B, H])];
      if (r.cN) {
        roots.push(r.cN);
        grads.push(ctx.tensor(dCN, [B, H]));
      }
      wr.autograd.backward(roots, grads);

      const loss = (p: Inputs) => {
        const s = cpuSequence(cell, p, T, B, H, reverse);
        return dot(s.output, dOut) + dot(s.hN, dHN) + (cell === 'lstm' ? dot(s.cN, dCN) : 0);
      };
      const names = (cell === 'lstm' ? ['xProj', 'wHH', 'bIH', 'bHH', 'h0', 'c0'] : ['xProj', 'wHH', 'bIH', 'bHH', 'h0']) as (keyof Inputs)[];
      const rng = wr.data.makeRng(seed);
      for (const name of names) {
        const gpu = await t[name].grad!.read();
        const values = inputs[name];
        const picked: number[] = [];
        const numeric: number[] = [];
        for (let k = 0; k < 24; k++) {
          const i = Math.floor(rng() * values.length);
          const keep = values[i];
          const eps = 1e-5;
          values[i] = keep + eps;
          const up = loss(inputs);
          values[i] = keep - eps;
          const down = loss(inputs);
          values[i] = keep;
          picked.push(gpu[i]);
          numeric.push((up - down) / (2 * eps));
        }
        expectClose(picked, numeric, 2e-4, 2e-3, `d${name}`);
      }
    });
  }
});
