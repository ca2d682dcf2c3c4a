// The fused cells at sizes the PyTorch fixtures do not reach: several LSTM tiles (8 rows × 8 units), more
// than one 64-wide chunk of the recurrent sum, batch and hidden sizes that fill no workgroup, both directions.
// Outputs against a float64 CPU version of each cell; gradients against float64 central finite differences
// of that CPU version, at sampled entries of every input. Also variable lengths (a row past its end keeps its
// state and outputs zeros; the reverse direction starts at its last step) and LSTM projections (h = W_hr·(o ⊙
// tanh c)), with workgroups whose rows have all ended.
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
  wHR: Float64Array; // [P, H], empty without projection
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Float64 forward of one direction: output [T, B, P] (by time index), hN, cN. Row b runs the steps
 *  t < lengths[b]; P = H unless projected. */
function cpuSequence(cell: Cell, p: Inputs, T: number, B: number, H: number, P: number, reverse: boolean, lengths: number[]) {
  const G = GATES[cell];
  const output = new Float64Array(T * B * P);
  const h = Float64Array.from(p.h0); // [B, P]
  const c = Float64Array.from(p.c0); // [B, H]
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    for (let b = 0; b < B; b++) {
      if (t >= lengths[b]) continue; // the state stays, the output stays zero
      const gx = new Float64Array(G * H);
      const gh = new Float64Array(G * H);
      for (let j = 0; j < G * H; j++) {
        gx[j] = p.xProj[(t * B + b) * G * H + j] + p.bIH[j];
        let s = p.bHH[j];
        for (let q = 0; q < P; q++) s += p.wHH[j * P + q] * h[b * P + q];
        gh[j] = s;
      }
      const raw = new Float64Array(H); // h before the projection
      for (let u = 0; u < H; u++) {
        const o = b * H + u;
        if (cell === 'rnn') {
          raw[u] = Math.tanh(gx[u] + gh[u]);
        } else if (cell === 'gru') {
          const r = sigmoid(gx[u] + gh[u]);
          const z = sigmoid(gx[H + u] + gh[H + u]);
          const n = Math.tanh(gx[2 * H + u] + r * gh[2 * H + u]);
          raw[u] = (1 - z) * n + z * h[o];
        } else {
          const i = sigmoid(gx[u] + gh[u]);
          const f = sigmoid(gx[H + u] + gh[H + u]);
          const g = Math.tanh(gx[2 * H + u] + gh[2 * H + u]);
          const og = sigmoid(gx[3 * H + u] + gh[3 * H + u]);
          c[o] = f * c[o] + i * g;
          raw[u] = og * Math.tanh(c[o]);
        }
      }
      for (let q = 0; q < P; q++) {
        let v = raw[q];
        if (P !== H) {
          v = 0;
          for (let u = 0; u < H; u++) v += p.wHR[q * H + u] * raw[u];
        }
        h[b * P + q] = v;
        output[(t * B + b) * P + q] = v;
      }
    }
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

// Lengths: unsorted, 1 and T among them; for B = 17 rows 8..15 (the second row tile) all end by step 2.
const LENGTHS_9 = [3, 4, 1, 2, 4, 3, 1, 4, 2];
const LENGTHS_17 = [4, 1, 3, 4, 2, 1, 4, 3, 2, 1, 1, 2, 1, 2, 2, 1, 3];

const CASES: { cell: Cell; T: number; B: number; H: number; reverse: boolean; lengths?: number[]; P?: number }[] = [
  { cell: 'rnn', T: 3, B: 9, H: 65, reverse: false },
  { cell: 'gru', T: 3, B: 9, H: 65, reverse: true },
  { cell: 'lstm', T: 3, B: 9, H: 65, reverse: false },
  { cell: 'lstm', T: 4, B: 17, H: 33, reverse: true },
  { cell: 'rnn', T: 4, B: 9, H: 65, reverse: true, lengths: LENGTHS_9 },
  { cell: 'gru', T: 4, B: 9, H: 33, reverse: false, lengths: LENGTHS_9 },
  { cell: 'lstm', T: 4, B: 17, H: 33, reverse: false, lengths: LENGTHS_17 },
  { cell: 'lstm', T: 4, B: 17, H: 33, reverse: true, lengths: LENGTHS_17, P: 5 },
  { cell: 'lstm', T: 3, B: 9, H: 65, reverse: false, P: 7 },
];

describe('fused cells vs a float64 CPU reference at multi-workgroup sizes', () => {
  for (const { cell, T, B, H, reverse, lengths, P: proj } of CASES) {
    const P = proj ?? H;
    const extras = `${lengths ? ' lengths' : ''}${proj ? ` P=${proj}` : ''}`;
    it(`${cell} T=${T} B=${B} H=${H}${reverse ? ' reverse' : ''}${extras}: outputs and sampled gradients`, async () => {
      const G = GATES[cell];
      const seed = T * 1000 + B * 10 + H + (lengths ? 7 : 0) + (proj ?? 0);
      const scale = 1 / Math.sqrt(H);
      const f32 = {
        xProj: randomArray(T * B * G * H, seed + 1), wHH: randomArray(G * H * P, seed + 2, -scale, scale),
        bIH: randomArray(G * H, seed + 3, -scale, scale), bHH: randomArray(G * H, seed + 4, -scale, scale),
        h0: randomArray(B * P, seed + 5), c0: randomArray(B * H, seed + 6),
        wHR: proj ? randomArray(P * H, seed + 10, -scale, scale) : new Float32Array(0),
      };
      const inputs = Object.fromEntries(Object.entries(f32).map(([k, v]) => [k, Float64Array.from(v)])) as unknown as Inputs;
      const dOut = randomArray(T * B * P, seed + 7);
      const dHN = randomArray(B * P, seed + 8);
      const dCN = randomArray(B * H, seed + 9);

      const t = {
        xProj: ctx.tensor(f32.xProj, [T, B, G * H]), wHH: ctx.tensor(f32.wHH, [G * H, P]),
        bIH: ctx.tensor(f32.bIH, [G * H]), bHH: ctx.tensor(f32.bHH, [G * H]),
        h0: ctx.tensor(f32.h0, [B, P]), c0: ctx.tensor(f32.c0, [B, H]),
        ...(proj ? { wHR: ctx.tensor(f32.wHR, [P, H]) } : {}),
      };
      for (const x of Object.values(t)) x.requiresGrad = true;
      const lengthsTensor = lengths ? ctx.tensor(Int32Array.from(lengths), [B], 'int32') : null;
      const args: SequenceArgs = { ...t, c0: cell === 'lstm' ? t.c0 : null, reverse, lengths: lengthsTensor };
      const r = cell === 'rnn' ? rnnSequence(args) : cell === 'gru' ? gruSequence(args) : lstmSequence(args);

      const rowLengths = lengths ?? new Array<number>(B).fill(T);
      const ref = cpuSequence(cell, inputs, T, B, H, P, reverse, rowLengths);
      expectClose(await r.output.read(), ref.output, 2e-5, 1e-4, 'output');
      expectClose(await r.hN.read(), ref.hN, 2e-5, 1e-4, 'hN');
      if (r.cN) expectClose(await r.cN.read(), ref.cN, 2e-5, 1e-4, 'cN');

      const roots = [r.output, r.hN];
      const grads = [ctx.tensor(dOut, [T, B, P]), ctx.tensor(dHN, [B, P])];
      if (r.cN) {
        roots.push(r.cN);
        grads.push(ctx.tensor(dCN, [B, H]));
      }
      wr.autograd.backward(roots, grads);

      const loss = (p: Inputs) => {
        const s = cpuSequence(cell, p, T, B, H, P, reverse, rowLengths);
        return dot(s.output, dOut) + dot(s.hN, dHN) + (cell === 'lstm' ? dot(s.cN, dCN) : 0);
      };
      const names = (cell === 'lstm' ? ['xProj', 'wHH', 'bIH', 'bHH', 'h0', 'c0'] : ['xProj', 'wHH', 'bIH', 'bHH', 'h0']) as (keyof Inputs)[];
      if (proj) names.push('wHR');
      const rng = wr.data.makeRng(seed);
      for (const name of names) {
        const gpu = await (t as Record<string, wr.Tensor>)[name].grad!.read();
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
