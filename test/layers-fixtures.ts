// Runs one PyTorch fixture case (test/fixtures/layers.json, made by gen_fixtures.py) through webrnn's layer and
// compares outputs, final states and every gradient at 1e-4 absolute. Cases from lengths.json
// (gen_fixtures_lengths.py) add variable lengths and LSTM projections.
import { expect } from 'vitest';
import * as wr from '../src/index.js';
import layers from './fixtures/layers.json';
import { expectClose } from './helpers.js';

export interface LayerCase {
  name: string; cell: 'rnn' | 'gru' | 'lstm'; nonlinearity: 'tanh' | 'relu';
  inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; batchFirst: boolean; bias: boolean;
  T: number; B: number; tokenIds: boolean;
  params: Record<string, number[]>; paramShapes: Record<string, number[]>;
  x: number[]; xShape: number[]; h0: number[] | null; c0: number[] | null;
  output: number[]; outputShape: number[]; hN: number[]; cN: number[] | null;
  dOutput: number[]; dHN: number[]; dCN: number[] | null;
  grads: Record<string, number[]>; dx: number[] | null; dh0: number[] | null; dc0: number[] | null;
  lengths?: number[] | null; projSize?: number;
}

export const layerCases = (layers as { cases: LayerCase[] }).cases;

const ATOL = 1e-4;

export async function checkLayerCase(ctx: wr.Context, c: LayerCase): Promise<void> {
  const opts = {
    inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bias: c.bias,
    batchFirst: c.batchFirst, bidirectional: c.bidirectional,
  };
  const forwardOpts = c.lengths ? { lengths: c.lengths } : undefined;
  const layer =
    c.cell === 'rnn' ? new wr.nn.RNN(ctx, { ...opts, nonlinearity: c.nonlinearity })
    : c.cell === 'gru' ? new wr.nn.GRU(ctx, opts)
    : new wr.nn.LSTM(ctx, c.projSize ? { ...opts, projSize: c.projSize } : opts);
  const names = [...layer.namedParameters().keys()].sort();
  expect(names).toEqual(Object.keys(c.params).sort());
  for (const [name, p] of layer.namedParameters()) expect([...p.shape], name).toEqual(c.paramShapes[name]);
  layer.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, Float32Array.from(v)])));

  const x = c.tokenIds ? ctx.tensor(Int32Array.from(c.x), c.xShape, 'int32') : ctx.tensor(c.x, c.xShape);
  if (!c.tokenIds) x.requiresGrad = true;
  const stateShape = [(c.bidirectional ? 2 : 1) * c.numLayers, c.B, c.hiddenSize];
  const hShape = [stateShape[0], c.B, c.projSize || c.hiddenSize];
  const h0 = c.h0 ? ctx.tensor(c.h0, hShape) : null;
  const c0 = c.c0 ? ctx.tensor(c.c0, stateShape) : null;
  if (h0) h0.requiresGrad = true;
  if (c0) c0.requiresGrad = true;

  let output: wr.Tensor, hN: wr.Tensor, cN: wr.Tensor | null = null;
  if (layer instanceof wr.nn.LSTM) {
    [output, [hN, cN]] = layer.forward(x, h0 && c0 ? [h0, c0] : undefined, forwardOpts);
  } else {
    [output, hN] = (layer as wr.nn.RNN).forward(x, h0, forwardOpts);
  }
  expect([...output.shape]).toEqual(c.outputShape);
  expectClose(await output.read(), c.output, ATOL, 0, `${c.name} output`);
  expectClose(await hN.read(), c.hN, ATOL, 0, `${c.name} hN`);
  if (cN) expectClose(await cN.read(), c.cN!, ATOL, 0, `${c.name} cN`);

  const roots = [output, hN];
  const grads = [ctx.tensor(c.dOutput, output.shape), ctx.tensor(c.dHN, hN.shape)];
  if (cN) {
    roots.push(cN);
    grads.push(ctx.tensor(c.dCN!, cN.shape));
  }
  wr.autograd.backward(roots, grads);
  for (const [name, p] of layer.namedParameters()) {
    expect(p.grad, `${c.name} grad of ${name}`).not.toBeNull();
    expectClose(await p.grad!.read(), c.grads[name], ATOL, 0, `${c.name} grad ${name}`);
  }
  if (c.dx) expectClose(await x.grad!.read(), c.dx, ATOL, 0, `${c.name} dx`);
  if (c.dh0) expectClose(await h0!.grad!.read(), c.dh0, ATOL, 0, `${c.name} dh0`);
  if (c.dc0) expectClose(await c0!.grad!.read(), c.dc0, ATOL, 0, `${c.name} dc0`);
}
