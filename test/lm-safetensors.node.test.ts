// Weights move between PyTorch and webrnn both ways: a state dict saved by PyTorch (the textbook's GRU model,
// test/fixtures/torch_state.safetensors) loads into CharRNN and reproduces PyTorch's logits; webrnn's own
// save → load round trip restores a model exactly.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as wr from '../src/index.js';
import charrnn from './fixtures/charrnn.json';
import { expectClose, testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const gru = (charrnn as { cases: { cell: string; V: number; H: number; B: number; T: number; X: number[]; logits: number[] }[] })
  .cases.find((c) => c.cell === 'gru')!;

it('a PyTorch state dict (.safetensors) loads into CharRNN and gives PyTorch’s logits', async () => {
  const bytes = readFileSync(fileURLToPath(new URL('./fixtures/torch_state.safetensors', import.meta.url)));
  const { tensors, shapes } = wr.io.loadSafetensors(new Uint8Array(bytes));
  const model = new wr.lm.CharRNN(ctx, { vocabSize: gru.V, hiddenSize: gru.H, cell: 'gru' });
  expect(model.parameterShapes()).toEqual(shapes);
  model.loadStateDict(tensors);
  const [logits] = wr.noGrad(() => model.forward(ctx.tensor(Int32Array.from(gru.X), [gru.B, gru.T], 'int32')));
  expectClose(await logits.read(), gru.logits, 1e-4, 0, 'logits');
});

it('save → load round trip restores every parameter bit for bit', async () => {
  const a = new wr.lm.CharRNN(ctx, { vocabSize: 11, hiddenSize: 6, cell: 'lstm', numLayers: 2, seed: 4 });
  const bytes = wr.io.saveSafetensors(await a.stateDict(), a.parameterShapes(), { format: 'pt' });
  const b = new wr.lm.CharRNN(ctx, { vocabSize: 11, hiddenSize: 6, cell: 'lstm', numLayers: 2, seed: 5 });
  b.loadStateDict(wr.io.loadSafetensors(bytes).tensors);
  expect(await b.stateDict()).toEqual(await a.stateDict());
  // A file for another shape is refused, naming the entry, and the model is kept.
  const other = new wr.lm.CharRNN(ctx, { vocabSize: 11, hiddenSize: 7, cell: 'lstm', numLayers: 2, seed: 6 });
  const before = await other.stateDict();
  expect(() => other.loadStateDict(wr.io.loadSafetensors(bytes).tensors)).toThrow(/rnn\.weight_ih_l0 has 264 values, expected 308/);
  expect(await other.stateDict()).toEqual(before);
});

it('wr.lm.readCheckpoint recognises the PyTorch state dict and builds the model that gives PyTorch’s logits', async () => {
  const bytes = readFileSync(fileURLToPath(new URL('./fixtures/torch_state.safetensors', import.meta.url)));
  const ckpt = wr.lm.readCheckpoint(new Uint8Array(bytes));
  expect(ckpt).toMatchObject({ source: 'state-dict', vocab: null, config: { cell: 'gru', hiddenSize: gru.H, vocabSize: gru.V, numLayers: 1 } });
  const model = wr.lm.modelFromCheckpoint(ctx, ckpt);
  const [logits] = wr.noGrad(() => model.forward(ctx.tensor(Int32Array.from(gru.X), [gru.B, gru.T], 'int32')));
  expectClose(await logits.read(), gru.logits, 1e-4, 0, 'logits');
  model.dispose();
});
