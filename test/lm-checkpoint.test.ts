// wr.lm checkpoints: a CharRNN saved with its vocabulary and config loads back exactly; a bare state dict reads
// without a vocabulary; hostile files (10,000 empty layers, colliding names, a tensor called __proto__,
// metadata that contradicts the shapes, non-finite weights) are refused with a message before any module is built.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const { readCheckpoint, saveCheckpoint, modelFromCheckpoint, checkpointShapes, CheckpointError } = wr.lm;
const vocabOf = (n: number) => new wr.data.Vocab(Array.from({ length: n }, (_, i) => String.fromCodePoint(97 + i)));

/** A state dict of the given shapes, every value distinct and finite. */
function fakeState(shapes: Map<string, number[]> | Record<string, number[]>): { tensors: Record<string, Float32Array>; shapes: Record<string, number[]> } {
  const tensors: Record<string, Float32Array> = Object.create(null);
  const out: Record<string, number[]> = Object.create(null);
  let k = 0;
  for (const [name, shape] of shapes instanceof Map ? shapes : Object.entries(shapes)) {
    tensors[name] = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => ((k++ % 97) - 48) / 100);
    out[name] = shape;
  }
  return { tensors, shapes: out };
}

const gru = { cell: 'gru', hiddenSize: 8, numLayers: 1, vocabSize: 5, nonlinearity: 'tanh' } as const;

describe('checkpoints', () => {
  it('save → read → model restores every parameter bit for bit, with the vocabulary, config and extras', async () => {
    const vocab = new wr.data.Vocab(['<unk>', ...'abcdefghij'], { unknownToken: '<unk>' });
    const a = new wr.lm.CharRNN(ctx, { vocabSize: 11, hiddenSize: 6, cell: 'lstm', numLayers: 2, seed: 4 });
    const bytes = await saveCheckpoint(a, vocab, { epochs: '3', corpus: 'letters' });
    const file = wr.io.loadSafetensors(bytes);
    expect(file.metadata).toMatchObject({ format: 'webrnn-charrnn', formatVersion: '1', cell: 'lstm', hiddenSize: '6', numLayers: '2', nonlinearity: 'tanh' });

    const ckpt = readCheckpoint(bytes);
    expect(ckpt.config).toEqual({ cell: 'lstm', hiddenSize: 6, numLayers: 2, vocabSize: 11, nonlinearity: 'tanh' });
    expect(ckpt.source).toBe('webrnn');
    expect(ckpt.vocab!.equals(vocab)).toBe(true);
    expect(ckpt.metadata.epochs).toBe('3');
    expect(ckpt.metadata.corpus).toBe('letters');
    const b = modelFromCheckpoint(ctx, ckpt);
    expect(await b.stateDict()).toEqual(await a.stateDict());
    expect(await b.predict('abc', 12, vocab)).toBe(await a.predict('abc', 12, vocab));
    a.dispose();
    b.dispose();
  });

  it('keeps an RNN’s relu nonlinearity', async () => {
    const a = new wr.lm.CharRNN(ctx, { vocabSize: 4, hiddenSize: 3, cell: 'rnn', nonlinearity: 'relu', seed: 1 });
    const b = modelFromCheckpoint(ctx, readCheckpoint(await saveCheckpoint(a, vocabOf(4))));
    expect(b.rnn.nonlinearity).toBe('relu');
    a.dispose();
    b.dispose();
  });

  it('names the tensors a model of each config has, as CharRNN does', () => {
    for (const cell of ['rnn', 'gru', 'lstm'] as const) {
      const m = new wr.lm.CharRNN(ctx, { vocabSize: 7, hiddenSize: 3, cell, numLayers: 3 });
      const expected = checkpointShapes({ cell, hiddenSize: 3, numLayers: 3, vocabSize: 7, nonlinearity: 'tanh' });
      expect(Object.fromEntries(expected)).toEqual(m.parameterShapes());
      m.dispose();
    }
  });

  it('reads a bare PyTorch state dict (dense.* or linear.*) without a vocabulary, and files of earlier webrnn versions', () => {
    const { tensors, shapes } = fakeState(checkpointShapes({ ...gru, numLayers: 2 }));
    const bare = readCheckpoint(wr.io.saveSafetensors(tensors, shapes, { format: 'pt' }));
    expect(bare).toMatchObject({ source: 'state-dict', vocab: null, config: { ...gru, numLayers: 2 } });
    expect(bare.tensors['rnn.weight_hh_l1']).toEqual(tensors['rnn.weight_hh_l1']);

    const renamed: Record<string, Float32Array> = Object.create(null);
    const renamedShapes: Record<string, number[]> = Object.create(null);
    for (const name of Object.keys(tensors)) {
      const to = name.replace(/^dense\./, 'linear.');
      renamed[to] = tensors[name]!;
      renamedShapes[to] = shapes[name]!;
    }
    const second = readCheckpoint(wr.io.saveSafetensors(renamed, renamedShapes));
    expect(second.tensors['dense.weight']).toEqual(tensors['dense.weight']);
    expect(Object.keys(second.tensors).some((n) => n.startsWith('linear.'))).toBe(false);

    // The CLI wrote no format; the demo no formatVersion. Both carry a vocabulary and read as webrnn files.
    const vocab = JSON.stringify(vocabOf(5).toJSON());
    const cli = readCheckpoint(wr.io.saveSafetensors(tensors, shapes, { vocab, cell: 'gru', hiddenSize: '8', numLayers: '2' }));
    expect(cli.source).toBe('webrnn');
    expect(cli.vocab!.equals(vocabOf(5))).toBe(true);
    const demo = readCheckpoint(wr.io.saveSafetensors(tensors, shapes, { vocab, format: 'webrnn-charrnn', nonlinearity: 'tanh' }));
    expect(demo.config.numLayers).toBe(2);
  });

  it('refuses a 1 MB file naming 10,000 empty layers before building anything', () => {
    const { tensors, shapes } = fakeState(checkpointShapes({ ...gru, hiddenSize: 256, vocabSize: 50 }));
    for (let k = 1; k <= 10_000; k++) {
      tensors[`rnn.weight_ih_l${k}`] = new Float32Array(0);
      shapes[`rnn.weight_ih_l${k}`] = [0];
    }
    const bytes = wr.io.saveSafetensors(tensors, shapes);
    expect(bytes.length).toBeLessThan(2_000_000);
    const before = ctx.memoryStats();
    expect(() => readCheckpoint(bytes)).toThrow(CheckpointError);
    expect(() => readCheckpoint(bytes)).toThrow('the number of layers (from the rnn.*_l{k} names) is 10001, over the limit of 16 layers');
    expect(ctx.memoryStats()).toEqual(before);
  });

  it('bounds the hidden and vocabulary sizes a file declares', () => {
    const huge = { 'rnn.weight_hh_l0': [3 * 20000, 20000], 'rnn.weight_ih_l0': [3 * 20000, 5] };
    // Shapes only: readCheckpoint checks the config from the header before reading any data.
    expect(() => wr.lm.checkpointConfig(huge, {})).toThrow(/hidden size .* is 20000, over the limit of 8192/);
    expect(() => wr.lm.checkpointConfig({ 'rnn.weight_hh_l0': [24, 8], 'rnn.weight_ih_l0': [24, 100000] }, {}))
      .toThrow(/vocabulary size .* is 100000, over the limit of 65536/);
  });

  it('refuses colliding linear.*/dense.* names and keeps a tensor named __proto__ as an ordinary (unexpected) one', () => {
    const { tensors, shapes } = fakeState(checkpointShapes(gru));
    tensors['linear.weight'] = tensors['dense.weight']!;
    shapes['linear.weight'] = shapes['dense.weight']!;
    expect(() => readCheckpoint(wr.io.saveSafetensors(tensors, shapes))).toThrow('the file holds both "linear.weight" and "dense.weight"');
    delete tensors['linear.weight'];
    delete shapes['linear.weight'];
    tensors['__proto__'] = new Float32Array([1, 2]);
    shapes['__proto__'] = [2];
    const bytes = wr.io.saveSafetensors(tensors, shapes);
    expect(Object.keys(wr.io.loadSafetensors(bytes).tensors)).toContain('__proto__');
    expect(() => readCheckpoint(bytes)).toThrow('unexpected tensor "__proto__"');
  });

  it('refuses metadata that contradicts the shapes, and tensors the config does not account for', () => {
    const { tensors, shapes } = fakeState(checkpointShapes(gru));
    const read = (meta?: Record<string, string>, t = tensors, s = shapes) => () => readCheckpoint(wr.io.saveSafetensors(t, s, meta));
    expect(read({ cell: 'lstm' })).toThrow('metadata cell is "lstm" but the weights are a GRU (rnn.weight_hh_l0 [24, 8])');
    expect(read({ hiddenSize: '16' })).toThrow('metadata hiddenSize is 16 but the weights have 8');
    expect(read({ numLayers: '2' })).toThrow('metadata numLayers is 2 but the weights have 1');
    expect(read({ numLayers: '1e3' })).toThrow('metadata numLayers must be a positive integer, got "1e3"');
    expect(read({ nonlinearity: 'relu' })).toThrow('metadata nonlinearity is "relu" but the weights are a GRU');
    expect(read({ vocab: JSON.stringify(vocabOf(6).toJSON()) })).toThrow("the file's vocabulary has 6 tokens but its weights expect 5");
    expect(read({ vocab: '{"tokens": 3}' })).toThrow(/the vocabulary stored in the file is invalid/);
    expect(read({ format: 'webrnn-charrnn', formatVersion: '2' })).toThrow('format version "2"; this webrnn reads version 1');

    const noBias = fakeState(checkpointShapes(gru));
    delete noBias.tensors['rnn.bias_ih_l0'];
    delete noBias.shapes['rnn.bias_ih_l0'];
    expect(read(undefined, noBias.tensors, noBias.shapes)).toThrow('rnn.bias_ih_l0 is missing (models trained with bias=False are not supported)');

    const twoLayers = fakeState(checkpointShapes({ ...gru, numLayers: 2 }));
    twoLayers.shapes['rnn.weight_ih_l1'] = [24, 4];
    twoLayers.tensors['rnn.weight_ih_l1'] = new Float32Array(96);
    expect(read(undefined, twoLayers.tensors, twoLayers.shapes)).toThrow('rnn.weight_ih_l1 has shape [24, 4], expected [24, 8]');

    const reverse = fakeState({ ...Object.fromEntries(checkpointShapes(gru)), 'rnn.weight_ih_l0_reverse': [24, 5] });
    expect(read(undefined, reverse.tensors, reverse.shapes)).toThrow(/bidirectional RNN \(rnn\.weight_ih_l0_reverse\)/);

    const nan = fakeState(checkpointShapes(gru));
    nan.tensors['dense.bias']![3] = NaN;
    const nanFile = wr.io.saveSafetensors(nan.tensors, nan.shapes, undefined, { allowNonFinite: true });
    expect(() => readCheckpoint(nanFile)).toThrow('tensor "dense.bias": element 3 is NaN');
    expect(read(undefined, {}, {})).toThrow('the file holds no tensors');
  });

  it('modelFromCheckpoint leaves nothing allocated when the weights do not load', () => {
    const ckpt = readCheckpoint(wr.io.saveSafetensors(fakeState(checkpointShapes(gru)).tensors, fakeState(checkpointShapes(gru)).shapes));
    const before = ctx.memoryStats().liveBuffers;
    const tampered = { ...ckpt, tensors: { ...ckpt.tensors, 'dense.bias': new Float32Array(2) } };
    expect(() => modelFromCheckpoint(ctx, tampered)).toThrow(/dense\.bias has 2 values, expected 5/);
    expect(ctx.memoryStats().liveBuffers).toBe(before);
  });
});

describe('Vocab.equals and Module.dispose', () => {
  it('Vocab.equals compares tokens, their order and the unknown token', () => {
    const a = new wr.data.Vocab(['a', 'b', '<unk>'], { unknownToken: '<unk>' });
    expect(a.equals(new wr.data.Vocab(['a', 'b', '<unk>'], { unknownToken: '<unk>' }))).toBe(true);
    expect(a.equals(new wr.data.Vocab(['b', 'a', '<unk>'], { unknownToken: '<unk>' }))).toBe(false);
    expect(a.equals(new wr.data.Vocab(['a', 'b', '<unk>']))).toBe(false);
    expect(a.equals(new wr.data.Vocab(['a', 'b']))).toBe(false);
  });

  it('Module.dispose frees every parameter and gradient, and is idempotent', async () => {
    const before = ctx.memoryStats();
    const m = new wr.lm.CharRNN(ctx, { vocabSize: 5, hiddenSize: 4, cell: 'gru', numLayers: 2, seed: 2 });
    const x = ctx.tensor(Int32Array.from([0, 1, 2, 3]), [1, 4], 'int32');
    const y = ctx.tensor(Int32Array.from([1, 2, 3, 4]), [4], 'int32');
    const [logits, state] = m.forward(x);
    const loss = wr.ops.crossEntropy(logits, y);
    loss.backward();
    for (const t of [x, y, logits, loss, state as wr.Tensor]) t.dispose();
    await ctx.checkErrors();
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    m.dispose();
    expect(m.parameters().every((p) => p.isDisposed && p.grad === null)).toBe(true);
    m.dispose();
    expect(ctx.memoryStats().liveBuffers).toBe(before.liveBuffers);
    expect(ctx.memoryStats().liveTensors).toBe(before.liveTensors);
  });
});
