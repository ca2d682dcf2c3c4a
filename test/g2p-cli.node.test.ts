// `npm run train -- --task g2p`, built as npm builds it and run as a user would: a short run prints validation
// PER/WER per epoch and saves a model file, which --init loads back to score an --eval file with beam search.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as wr from '../src/index.js';
import { findDataDir } from './shared-data.js';
import { buildBundle, runScript } from './node-bundle.js';

let dir: string;
let cli: string;

const run = (args: string[]) => runScript(cli, args, 240_000);

beforeAll(async () => {
  dir = await buildBundle('cli/vite.config.ts', 'CLI_OUT', 'webrnn-g2p-cli-test');
  cli = join(dir, 'train.mjs');
  const lines = readFileSync(join(findDataDir(), 'cmudict-g014b2b/train.tsv'), 'utf8').split('\n').filter((_, i) => i % 300 === 0);
  writeFileSync(join(dir, 'train.tsv'), lines.slice(0, 240).join('\n'));
  writeFileSync(join(dir, 'eval.tsv'), lines.slice(240, 270).join('\n'));
}, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run train -- --task g2p', () => {
  it('trains with validation PER/WER, saves, and --init --eval scores another file', async () => {
    const saved = join(dir, 'g2p.safetensors');
    const first = await run(['--task', 'g2p', '--data', join(dir, 'train.tsv'), '--attention', '--embed', '8', '--hidden', '16',
      '--epochs', '2', '--batch', '32', '--valid', '20', '--quiet', '--save', saved]);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/^epoch 1: loss [\d.]+, .*validation PER [\d.]+% WER [\d.]+% \(20 words, beam 1\)$/m);
    expect(first.out).toMatch(/^epoch 2: /m);
    const { metadata } = wr.io.loadSafetensors(new Uint8Array(readFileSync(saved)));
    expect(JSON.parse(metadata.config!)).toMatchObject({ attention: true, hiddenSize: 16, embedSize: 8 });
    expect(JSON.parse(metadata.phonemes!).slice(0, 4)).toEqual(['<pad>', '<bos>', '<eos>', '<unk>']);
    const second = await run(['--task', 'g2p', '--data', join(dir, 'train.tsv'), '--init', saved, '--epochs', '0', '--valid', '0',
      '--eval', join(dir, 'eval.tsv'), '--beam', '3']);
    expect(second.code, second.out).toBe(0);
    expect(second.out).toMatch(/eval .*eval\.tsv: PER [\d.]+% WER [\d.]+% \(30 words, beam 3\)/);
  });

  it('bad flags fail fast with a message', async () => {
    const r = await run(['--task', 'g2p', '--data', join(dir, 'train.tsv'), '--attention', '--dropout', '0.2']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/--dropout with --attention is not supported yet/);
    const bad = await run(['--task', 'g2p', '--data', join(dir, 'missing.tsv')]);
    expect(bad.out).toMatch(/--data .*missing\.tsv: file not found/);
  });
});
