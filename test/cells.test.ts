// nn.RNNCell / GRUCell / LSTMCell against PyTorch (test/fixtures/modules.json): a loop of 3-4 calls at B = 9,
// H = 10 (across the 8×8 tiles), every state and every gradient (parameters, each step's x, h0, c0) after one
// backward through the whole loop; dispatches per call; bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import fixtures from './fixtures/modules.json';
import { expectClose, randomArray, testContext } from './helpers.js';
import { cellCases as sharedCellCases, type CellCase as SharedCellCase } from './nn-fixtures.js';

interface CellCase {
  name: string; cell: 'rnn' | 'gru' | 'lstm'; nonlinearity: 'tanh' | 'relu'; inputSize: number; hiddenSize: number;
  B: number; steps: number; bias: boolean; unbatched: boolean;
  params: Record<string, number[]>; paramShapes: Record<string, number[]>;
  x: number[]; h0: number[] | null; c0: number[] | null; h: number[]; c: number[] | null;
  dH: number[]; dC: number[] | null; grads: Record<string, number[]>; dx: number[]; dh0: number[] | null; dc0: number[] | null;
}
const cases = (fixtures as unknown as { cells: CellCase[] }).cells;
const ATOL = 1e-4;

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

function makeCell(c: Pick<CellCase, 'cell' | 'inputSize' | 'hiddenSize' | 'bias' | 'nonlinearity'>): wr.nn.RNNCellBase {
  const opts = { inputSize: c.inputSize, hiddenSize: c.hiddenSize, bias: c.bias };
  if (c.cell === 'rnn') return new wr.nn.RNNCell(ctx, { ...opts, nonlinearity: c.nonlinearity });
  return c.cell === 'gru' ? new wr.nn.GRUCell(ctx, opts) : new wr.nn.LSTMCell(ctx, opts);
}

/** Row `t` of a flat [steps, ...rest] array. */
const stepOf = (a: number[], t: number, size: number): number[] => a.slice(t * size, (t + 1) * size);

describe('cells looped over several steps match PyTorch', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const cell = makeCell(c);
      expect([...cell.namedParameters().keys()]).toEqual(Object.keys(c.params));
      for (const [name, p] of cell.namedParameters()) expect([...p.shape], name).toEqual(c.paramShapes[name]);
      cell.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, Float32Array.from(v)])));
      const rows = c.unbatched ? [] : [c.B];
      const xSize = (c.unbatched ? 1 : c.B) * c.inputSize;
      const hSize = (c.unbatched ? 1 : c.B) * c.hiddenSize;
      const xs = Array.from({ length: c.steps }, (_, t) => {
        const x = ctx.tensor(stepOf(c.x, t, xSize), [...rows, c.inputSize]);
        x.requiresGrad = true;
        return x;
      });
      const leaf = (data: number[] | null) => {
        if (!data) return null;
        const t = ctx.tensor(data, [...rows, c.hiddenSize]);
        t.requiresGrad = true;
        return t;
      };
      const h0 = leaf(c.h0);
      const c0 = leaf(c.c0);
      const hs: wr.Tensor[] = [];
      const cs: wr.Tensor[] = [];
      let h = h0;
      let cc = c0;
      for (const x of xs) {
        if (cell instanceof wr.nn.LSTMCell) {
          [h, cc] = cell.forward(x, h && cc ? [h, cc] : undefined);
          cs.push(cc);
        } else {
          h = (cell as wr.nn.RNNCell).forward(x, h);
        }
        hs.push(h!);
      }
      for (let t = 0; t < c.steps; t++) {
        expect([...hs[t].shape]).toEqual([...rows, c.hiddenSize]);
        expectClose(await hs[t].read(), stepOf(c.h, t, hSize), ATOL, 0, `${c.name} h${t + 1}`);
        if (c.c) expectClose(await cs[t].read(), stepOf(c.c, t, hSize), ATOL, 0, `${c.name} c${t + 1}`);
      }
      const roots = [...hs, ...cs];
      const grads = [
        ...hs.map((s, t) => ctx.tensor(stepOf(c.dH, t, hSize), s.shape)),
        ...cs.map((s, t) => ctx.tensor(stepOf(c.dC!, t, hSize), s.shape)),
      ];
      wr.autograd.backward(roots, grads);
      for (const [name, p] of cell.namedParameters()) expectClose(await p.grad!.read(), c.grads[name], ATOL, 0, `${c.name} grad ${name}`);
      for (let t = 0; t < c.steps; t++) expectClose(await xs[t].grad!.read(), stepOf(c.dx, t, xSize), ATOL, 0, `${c.name} dx${t + 1}`);
      if (c.dh0) expectClose(await h0!.grad!.read(), c.dh0, ATOL, 0, `${c.name} dh0`);
      if (c.dc0) expectClose(await c0!.grad!.read(), c.dc0, ATOL, 0, `${c.name} dc0`);
    });
  }
});

// The shared fixtures of API.md 9-13 (gen_fixtures_nn.py): another generator, H = 17 and B = 1 too; the loss
// there is Σ h_t·dH_t plus c_last·dC_last for LSTM.
describe('cells match the shared PyTorch fixtures (nn_cells.json)', () => {
  for (const c of sharedCellCases as SharedCellCase[]) {
    it(c.name, async () => {
      const cell = makeCell(c);
      cell.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, Float32Array.from(v)])));
      const xSize = c.B * c.inputSize;
      const hSize = c.B * c.hiddenSize;
      const leaf = (data: number[], shape: number[]) => {
        const t = ctx.tensor(data, shape);
        t.requiresGrad = true;
        return t;
      };
      const xs = Array.from({ length: c.steps }, (_, t) => leaf(stepOf(c.xs, t, xSize), [c.B, c.inputSize]));
      const h0 = c.h0 ? leaf(c.h0, [c.B, c.hiddenSize]) : null;
      const c0 = c.c0 ? leaf(c.c0, [c.B, c.hiddenSize]) : null;
      const hs: wr.Tensor[] = [];
      let h = h0;
      let cc = c0;
      for (const x of xs) {
        if (cell instanceof wr.nn.LSTMCell) [h, cc] = cell.forward(x, h && cc ? [h, cc] : undefined);
        else h = (cell as wr.nn.RNNCell).forward(x, h);
        hs.push(h!);
      }
      for (let t = 0; t < c.steps; t++) {
        expectClose(await hs[t].read(), stepOf(c.hs, t, hSize), ATOL, 0, `${c.name} h${t + 1}`);
      }
      if (c.cs) expectClose(await cc!.read(), stepOf(c.cs, c.steps - 1, hSize), ATOL, 0, `${c.name} c_last`);
      const roots = [...hs, ...(c.dCLast ? [cc!] : [])];
      const grads = [
        ...hs.map((s, t) => ctx.tensor(stepOf(c.dHs, t, hSize), s.shape)),
        ...(c.dCLast ? [ctx.tensor(c.dCLast, [c.B, c.hiddenSize])] : []),
      ];
      wr.autograd.backward(roots, grads);
      for (const [name, p] of cell.namedParameters()) expectClose(await p.grad!.read(), c.grads[name], ATOL, 0, `${c.name} grad ${name}`);
      for (let t = 0; t < c.steps; t++) expectClose(await xs[t].grad!.read(), stepOf(c.dxs, t, xSize), ATOL, 0, `${c.name} dx${t + 1}`);
      if (c.dh0) expectClose(await h0!.grad!.read(), c.dh0, ATOL, 0, `${c.name} dh0`);
      if (c.dc0) expectClose(await c0!.grad!.read(), c.dc0, ATOL, 0, `${c.name} dc0`);
    });
  }
});

describe('cells: one fused step kernel per call', () => {
  for (const mode of ['rnn', 'gru', 'lstm'] as const) {
    it(`${mode}: one cell dispatch per call forward and one per call backward`, () => {
      const cell = makeCell({ cell: mode, inputSize: 3, hiddenSize: 4, bias: true, nonlinearity: 'tanh' });
      const entry = `${mode}_step_`;
      // Count dispatches of the cell's own kernel by wrapping dispatch (labels are file:entry{constants}).
      const counts = { forward: 0, backward: 0 };
      const original = ctx.dispatch.bind(ctx);
      ctx.dispatch = ((kernel: { label: string }, ...rest: unknown[]) => {
        if (kernel.label.includes(`${entry}forward`)) counts.forward++;
        if (kernel.label.includes(`${entry}backward`)) counts.backward++;
        return (original as (...a: unknown[]) => void)(kernel, ...rest);
      }) as typeof ctx.dispatch;
      try {
        let h: wr.Tensor | null = null;
        let cc: wr.Tensor | null = null;
        for (let t = 0; t < 3; t++) {
          const x = ctx.tensor(randomArray(6, t), [2, 3]);
          if (cell instanceof wr.nn.LSTMCell) [h, cc] = cell.forward(x, h && cc ? [h, cc] : undefined);
          else h = (cell as wr.nn.RNNCell).forward(x, h);
        }
        expect(counts).toEqual({ forward: 3, backward: 0 });
        h!.backward(ctx.tensor(randomArray(8, 9), [2, 4]));
        expect(counts).toEqual({ forward: 3, backward: 3 });
      } finally {
        ctx.dispatch = original;
      }
    });
  }
});

describe('cells: options and bad input', () => {
  it('registers PyTorch names and shapes, and draws U(-1/√H, 1/√H)', async () => {
    const cell = new wr.nn.LSTMCell(ctx, { inputSize: 3, hiddenSize: 25, seed: 4 });
    expect(cell.parameterShapes()).toEqual({ weight_ih: [100, 3], weight_hh: [100, 25], bias_ih: [100], bias_hh: [100] });
    const w = (await cell.weight_hh.read()) as Float32Array;
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.2);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.19);
    expect(new wr.nn.GRUCell(ctx, { inputSize: 2, hiddenSize: 3, bias: false }).parameterShapes()).toEqual({ weight_ih: [9, 2], weight_hh: [9, 3] });
  });

  it('throws naming the problem, allocating nothing', () => {
    expect(() => new wr.nn.RNNCell(ctx, { inputSize: 0, hiddenSize: 2 })).toThrow(/RNNCell: inputSize must be a positive integer, got 0/);
    expect(() => new wr.nn.RNNCell(ctx, { inputSize: 2, hiddenSize: 2, nonlinearity: 'sigmoid' as 'tanh' })).toThrow(/nonlinearity must be 'tanh' or 'relu', got sigmoid/);
    expect(() => new wr.nn.GRUCell(ctx, { inputSize: 2, hiddenSize: 2, nonlinearity: 'tanh' } as wr.nn.GRUCellOptions)).toThrow(/GRUCell: unexpected option 'nonlinearity'/);
    const rnn = new wr.nn.RNNCell(ctx, { inputSize: 3, hiddenSize: 4 });
    const lstm = new wr.nn.LSTMCell(ctx, { inputSize: 3, hiddenSize: 4 });
    const x = ctx.tensor(randomArray(6, 1), [2, 3]);
    const wrongX = ctx.tensor(randomArray(8, 1), [2, 4]);
    const x3 = ctx.tensor(randomArray(6, 1), [1, 2, 3]);
    const h = ctx.tensor(randomArray(8, 2), [2, 4]);
    const wrongH = ctx.tensor(randomArray(12, 2), [3, 4]);
    const ids = ctx.tensor(Int32Array.from([0, 1]), [2], 'int32');
    const x1 = ctx.tensor(randomArray(3, 3), [3]);
    const live = ctx.liveTensors;
    const dispatches = ctx.dispatchCount;
    expect(() => rnn.forward(wrongX)).toThrow(/RNNCell: input \[2, 4\] should be \[B, 3\] or \[3\] \(inputSize 3\)/);
    expect(() => rnn.forward(x3)).toThrow(/input \[1, 2, 3\] should be/);
    expect(() => rnn.forward(ids)).toThrow(/RNNCell: input must be float32, got int32/);
    expect(() => rnn.forward(x, wrongH)).toThrow(/RNNCell: h0 \[3, 4\] should be \[2, 4\] for input \[2, 3\]/);
    expect(() => rnn.forward(x1, h)).toThrow(/h0 \[2, 4\] should be \[4\] for input \[3\]/);
    expect(() => lstm.forward(x, [h, wrongH])).toThrow(/LSTMCell: c0 \[3, 4\] should be \[2, 4\]/);
    expect(() => lstm.forward(x, [h] as unknown as [wr.Tensor, wr.Tensor])).toThrow(/LSTMCell: the state must be a pair \[h0, c0\]/);
    expect(ctx.liveTensors).toBe(live);
    expect(ctx.dispatchCount).toBe(dispatches);
  });
});
