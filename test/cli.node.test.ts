// The command-line trainer, built as `npm run train` builds it and run as a user would: a short run on a corpus
// file prints epochs, samples and a summary, and saves weights that load back with their vocabulary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as wr from '../src/index.js';
import { buildBundle, runScript } from './node-bundle.js';

let dir: string;
let cli: string;

const run = (args: string[]) => runScript(cli, args, 120_000);

beforeAll(async () => {
  dir = await buildBundle('cli/vite.config.ts', 'CLI_OUT', 'webrnn-cli-test');
  cli = join(dir, 'train.mjs');
  writeFileSync(join(dir, 'corpus.txt'), 'the quick brown fox jumps over the lazy dog\n'.repeat(30));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run train', () => {
  it('trains, prints perplexity and samples, and saves loadable weights with the vocabulary', async () => {
    const saved = join(dir, 'model.safetensors');
    const { code, out } = await run(['--corpus', join(dir, 'corpus.txt'), '--cell', 'gru', '--hidden', '16', '--epochs', '4',
      '--steps', '8', '--batch', '4', '--lr', '0.02', '--clip', '1', '--pred-every', '2', '--pred-len', '6',
      '--prefix', 'the', '--seed', '1', '--quiet', '--save', saved]);
    expect(code, out).toBe(0);
    const perplexities = [...out.matchAll(/^epoch (\d+), perplexity ([\d.]+)/gm)].map((m) => Number(m[2]));
    expect(perplexities).toHaveLength(2);
    expect(perplexities[1]).toBeLessThan(perplexities[0]);
    expect(out).toMatch(/^ - the.{6}$/m);
    expect(out).toMatch(/done: 4 epochs in [\d.]+ s, final perplexity [\d.]+, mean \d+ tokens\/s/);
    const { tensors, metadata } = wr.io.loadSafetensors(new Uint8Array(readFileSync(saved)));
    const vocab = wr.data.Vocab.fromJSON(JSON.parse(metadata.vocab));
    expect(vocab.size).toBe(wr.data.charCorpus(readFileSync(join(dir, 'corpus.txt'), 'utf8')).vocab.size);
    expect(metadata.cell).toBe('gru');
    expect(Object.keys(tensors).sort()).toEqual(['dense.bias', 'dense.weight', 'rnn.bias_hh_l0', 'rnn.bias_ih_l0', 'rnn.weight_hh_l0', 'rnn.weight_ih_l0']);
  });

  it('--init starts from saved weights, and refuses weights of another vocabulary or shape', async () => {
    const common = ['--corpus', join(dir, 'corpus.txt'), '--cell', 'gru', '--hidden', '16', '--steps', '8', '--batch', '4',
      '--lr', '0.02', '--clip', '1', '--pred-every', '1', '--pred-len', '4', '--prefix', 'the', '--seed', '1', '--quiet'];
    const saved = join(dir, 'init.safetensors');
    const first = await run([...common, '--epochs', '4', '--save', saved]);
    expect(first.code, first.out).toBe(0);
    const resumed = await run([...common, '--epochs', '1', '--init', saved]);
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.out).toMatch(/^initial weights: .*init\.safetensors$/m);
    const ppl = (out: string) => [...out.matchAll(/^epoch (\d+), perplexity ([\d.]+)/gm)].map((m) => Number(m[2]));
    // From the trained weights, the first epoch is where the 4-epoch run ended, not where it began.
    const [fromScratch, , , trained] = ppl(first.out);
    expect(ppl(resumed.out)[0]).toBeLessThan(trained * 1.2);
    expect(ppl(resumed.out)[0]).toBeLessThan(fromScratch / 1.5);

    writeFileSync(join(dir, 'other.txt'), 'pack my box with five dozen liquor jugs\n'.repeat(30));
    const otherVocab = await run([...common.slice(2), '--corpus', join(dir, 'other.txt'), '--prefix', 'pack', '--epochs', '1', '--init', saved]);
    expect(otherVocab).toMatchObject({ code: 2, out: expect.stringMatching(/--init .*init\.safetensors was trained on another vocabulary \(\d+ tokens, token \d+ is ".*" there but ".*" here\)/) });
    const otherCell = await run([...common, '--cell', 'lstm', '--epochs', '1', '--init', saved]);
    expect(otherCell).toMatchObject({ code: 2, out: expect.stringMatching(/--init .*: these weights do not fit the model \(--cell lstm --hidden 16.*rnn\.weight_ih_l0 has \d+ values/) });
    expect(await run([...common, '--epochs', '1', '--init', join(dir, 'corpus.txt')])).toMatchObject({ code: 2, out: expect.stringMatching(/--init .*corpus\.txt: /) });
  });

  it('rejects bad arguments with a message and exit code 2', async () => {
    expect(await run(['--cell', 'lstm'])).toMatchObject({ code: 2, out: expect.stringMatching(/--corpus is required/) });
    expect(await run(['--corpus', join(dir, 'corpus.txt'), '--cell', 'transformer'])).toMatchObject({ code: 2, out: expect.stringMatching(/--cell must be rnn, gru or lstm/) });
    expect(await run(['--preset', 'nope'])).toMatchObject({ code: 2, out: expect.stringMatching(/unknown --preset "nope"/) });
    expect(await run(['--corpus', join(dir, 'corpus.txt'), '--prefix', 'XYZ'])).toMatchObject({ code: 2, out: expect.stringMatching(/--prefix "XYZ": characters not in the vocabulary: "X", "Y", "Z"/) });
  });

  // Each refused before the GPU is set up (no "adapter:" line), not after the training it would have wasted.
  it('refuses bad --temperature, --pred-len, --pred-every and --save up front', async () => {
    const corpus = ['--corpus', join(dir, 'corpus.txt'), '--hidden', '8', '--epochs', '1', '--steps', '4', '--batch', '2', '--quiet'];
    const refused = async (args: string[], message: RegExp) => {
      const { code, out } = await run([...corpus, ...args]);
      expect({ code, out }).toMatchObject({ code: 2, out: expect.stringMatching(message) });
      expect(out).not.toMatch(/^adapter:/m);
    };
    await refused(['--temperature=-1'], /--temperature must be at least 0, got -1/);
    await refused(['--temprature', '1'], /Unknown option '--temprature'/);
    await refused(['--temperature', 'hot'], /--temperature must be a number, got "hot"/);
    await refused(['--pred-len', '1e9'], /--pred-len must be between 0 and 10000, got 1000000000/);
    await refused(['--pred-every', '0'], /--pred-every must be at least 1, got 0/);
    await refused(['--save', join(dir, 'no-such-dir', 'model.safetensors')], /--save .*model\.safetensors: the directory .*no-such-dir does not exist/);
    await refused(['--save', join(dir, 'corpus.txt', 'model.safetensors')], /--save .*: .*corpus\.txt is not a directory/);
    await refused(['--save', dir], /--save .* is a directory: give a file name/);
    await refused(['--batch', '64', '--steps', '35'], /the corpus has 1320 characters, too few for one batch of --batch 64 × --steps 35 with random sampling \(at least 2241\)/);
  });

  it('refuses a binary, non-UTF-8 or oversized corpus with a clear error', async () => {
    const refused = async (file: string, message: RegExp) => {
      const { code, out } = await run(['--corpus', file, '--hidden', '8', '--epochs', '1', '--steps', '4', '--batch', '2', '--quiet']);
      expect({ code, out }).toMatchObject({ code: 2, out: expect.stringMatching(message) });
      expect(out).not.toMatch(/^adapter:/m);
    };
    const text = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(30));
    const binary = Buffer.concat([text.subarray(0, 100), Buffer.from([0, 1, 2, 0xff]), text.subarray(100)]);
    writeFileSync(join(dir, 'binary.bin'), binary);
    await refused(join(dir, 'binary.bin'), /--corpus .*binary\.bin is not a text file: it has a NUL byte at offset 100/);
    writeFileSync(join(dir, 'latin1.txt'), Buffer.from('caf\xe9 na\xefve r\xe9sum\xe9 '.repeat(100), 'latin1'));
    await refused(join(dir, 'latin1.txt'), /--corpus .*latin1\.txt is not valid UTF-8 text/);
    // A sparse file: its size is refused before a byte of it is read.
    writeFileSync(join(dir, 'huge.txt'), '');
    truncateSync(join(dir, 'huge.txt'), 64 * 2 ** 20 + 1);
    await refused(join(dir, 'huge.txt'), /--corpus .*huge\.txt is 64\.0 MiB .*over the limit of 64\.0 MiB/);
    rmSync(join(dir, 'huge.txt'));
    await refused(dir, /--corpus .* is not a file/);
  });
});
