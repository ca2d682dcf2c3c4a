// Node only: the seq2seq weight files PyTorch wrote (gen_fixtures_nn.py) parse with wr.io and hold the fixtures'
// values: d2l's own spelling (encoder.rnn.rnn.*) and torch_seq2seq.py's --save-init output (webrnn names, vocabularies
// in the metadata).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { seq2seqCases, seq2seqTrain } from './nn-fixtures.js';

const read = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))));

function expectSameValues(tensors: Record<string, Float32Array>, expected: Record<string, number[]>, rename: (k: string) => string) {
  expect(Object.keys(tensors).map(rename).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, data] of Object.entries(tensors)) {
    const want = expected[rename(name)]!;
    // the JSON holds 8-significant-digit inputs that PyTorch stored as float32: fround makes them identical
    expect(data.every((v, i) => v === Math.fround(want[i]!)), name).toBe(true);
  }
}

describe('seq2seq weight files from PyTorch', () => {
  it("seq2seq_d2l.safetensors: d2l's spelling of seq2seq.json's attention_L2 state dict", () => {
    const { tensors } = wr.io.loadSafetensors(read('seq2seq_d2l.safetensors'));
    expect(Object.keys(tensors)).toContain('encoder.rnn.rnn.weight_ih_l0');
    expect(Object.keys(tensors)).toContain('decoder.rnn.weight_ih_l0'); // the attention decoder's GRU is not wrapped
    const c = seq2seqCases.find((k) => k.name === 'seq2seq_attention_L2')!;
    expectSameValues(tensors, c.stateDict, (k) => k.replace(/^encoder\.rnn\.rnn\./, 'encoder.rnn.'));
  });

  it('seq2seq_torch_init.safetensors: webrnn names, config and both vocabularies in the metadata', () => {
    const { tensors, metadata } = wr.io.loadSafetensors(read('seq2seq_torch_init.safetensors'));
    const run = seq2seqTrain.runs.find((r) => r.config.attention)!;
    expectSameValues(tensors, run.init, (k) => k);
    expect(JSON.parse(metadata.graphemes!)).toEqual(seq2seqTrain.graphemes);
    expect(JSON.parse(metadata.phonemes!)).toEqual(seq2seqTrain.phonemes);
    expect(JSON.parse(metadata.config!)).toEqual(run.config);
  });
});
