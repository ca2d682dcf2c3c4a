// The Node command-line trainer (on Dawn, for GPU servers): the textbook's train_and_predict_rnn with a
// progress bar, periodic samples and .safetensors output.
//   npm run train -- --corpus ../shared/data/jaychou_lyrics.txt --cell lstm --hidden 256 --epochs 250 \
//                    --optimizer adam --lr 1e-2 --clip 0.01 --prefix 分开 --prefix 不分开
import { accessSync, constants, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { createNodeGpu } from '../scripts/node-gpu.js';
import * as wr from '../src/index.js';
import { g2pMain } from './g2p.js';

/** The textbook's runs (d2l RNN chapter; the issue's figures to reproduce). Explicit flags override them. */
const PRESETS: Record<string, { corpus: string; flags: Record<string, string>; prefixes: string[] }> = {
  // 1st edition, from scratch: SGD lr 100, clipping 0.01, random sampling; perplexity ≈ 1.3 after 250 epochs.
  'jaychou-rnn': { corpus: 'jaychou_lyrics.txt', prefixes: ['分开', '不分开'], flags: {
    'max-chars': '10000', cell: 'rnn', hidden: '256', epochs: '250', steps: '35', batch: '32', optimizer: 'sgd', lr: '100', clip: '0.01', sampling: 'random', 'pred-every': '50' } },
  // GRU and LSTM, the concise versions (train_and_predict_rnn_pytorch: Adam lr 1e-2, consecutive sampling with
  // the state carried over): perplexity 1.022 / 1.020 at epoch 40 and 1.015 / 1.011 at 80 in the notes.
  'jaychou-gru': { corpus: 'jaychou_lyrics.txt', prefixes: ['分开', '不分开'], flags: {
    'max-chars': '10000', cell: 'gru', hidden: '256', epochs: '80', steps: '35', batch: '32', optimizer: 'adam', lr: '1e-2', clip: '0.01', sampling: 'consecutive', 'pred-every': '40' } },
  'jaychou-lstm': { corpus: 'jaychou_lyrics.txt', prefixes: ['分开', '不分开'], flags: {
    'max-chars': '10000', cell: 'lstm', hidden: '256', epochs: '80', steps: '35', batch: '32', optimizer: 'adam', lr: '1e-2', clip: '0.01', sampling: 'consecutive', 'pred-every': '40' } },
  // 2nd edition (train_ch8): hidden 512, lr 1, clipping 1, sequential partitioning (seq_data_iter_sequential: a
  // random offset each epoch, the state carried over), first 10000 tokens, 500 epochs.
  'timemachine-rnn': { corpus: 'timemachine.txt', prefixes: ['time traveller'], flags: {
    mode: 'timemachine', 'max-chars': '10000', cell: 'rnn', hidden: '512', epochs: '500', steps: '35', batch: '32', optimizer: 'sgd', lr: '1', clip: '1', sampling: 'sequential', 'pred-every': '100' } },
};

/** A preset's corpus: shared/data beside the checkout, inside it (the GPU machine), or .gpu/data. */
function findPresetCorpus(name: string): string {
  const places = [`../shared/data/${name}`, `shared/data/${name}`, `.gpu/data/${name}`];
  const found = places.find((p) => existsSync(p));
  if (!found) fail(`the preset's corpus ${name} was not found in ${places.join(', ')}`);
  return found;
}

/** Largest corpus file read (as the demo's): charCorpus holds every character in memory several times over. */
const MAX_CORPUS_BYTES = wr.data.MAX_CORPUS_BYTES;
/** Longest sample: generation allocates and encodes per character, so 1e9 would ask for gigabytes. */
const MAX_PRED_LEN = 10_000;

const HELP = `webrnn train: a character language model on the GPU (WebGPU through Dawn)
(--task g2p: grapheme-to-phoneme with wr.seq2seq; --task g2p --help for its options)

  --preset NAME        the textbook's runs: ${Object.keys(PRESETS).join(', ')} (flags given override)
  --corpus FILE        UTF-8 text file, at most ${MAX_CORPUS_BYTES / 2 ** 20} MiB (required without a preset)
  --mode chars|timemachine   chars: the Jay Chou notes' preprocessing (newlines as spaces);
                       timemachine: letters only, lower case, vocabulary of 28 (d2l 2nd edition)
  --max-chars N        keep the first N characters (textbook: 10000 for the lyrics)
  --cell rnn|gru|lstm  (default lstm)      --hidden N (256)     --layers N (1)
  --epochs N (250)     --steps N (35)      --batch N (32)
  --optimizer sgd|adam (adam)              --lr X (1e-2)        --clip X (0.01; 0 = off)
  --sampling random|consecutive|sequential (random; sequential: the 2nd edition's, a random offset per epoch)
  --seed N
  --prefix TEXT        prefix to continue (repeatable)          --pred-every N (50)
  --pred-len N         characters per sample (50; at most ${MAX_PRED_LEN})
  --temperature X      0 = greedy (default)
  --init FILE          start from these weights (.safetensors: a file saved here, or a PyTorch RNNModel
                       state dict such as scripts/torch_reference.py --save-init writes)
  --save FILE          write the weights (.safetensors, vocabulary in the metadata)
  --quiet              no progress bar`;

const OPTIONS = {
  preset: { type: 'string' },
  corpus: { type: 'string' }, mode: { type: 'string' }, 'max-chars': { type: 'string' },
  cell: { type: 'string' }, hidden: { type: 'string' }, layers: { type: 'string' },
  epochs: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' },
  optimizer: { type: 'string' }, lr: { type: 'string' }, clip: { type: 'string' },
  sampling: { type: 'string' }, seed: { type: 'string' },
  prefix: { type: 'string', multiple: true }, 'pred-every': { type: 'string' }, 'pred-len': { type: 'string' },
  temperature: { type: 'string' }, init: { type: 'string' }, save: { type: 'string' }, quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

function fail(message: string): never {
  console.error(`error: ${message}\n\n${HELP}`);
  process.exit(2);
}

function num(value: string | undefined, name: string, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) fail(`--${name} must be ${integer ? 'an integer' : 'a number'}, got "${value}"`);
  return n;
}

/** num() within [min, max]. */
function bounded(value: string | undefined, name: string, fallback: number, min: number, max = Infinity, integer = true): number {
  const n = num(value, name, fallback, integer);
  if (n < min || n > max) fail(`--${name} must be ${max === Infinity ? `at least ${min}` : `between ${min} and ${max}`}, got ${n}`);
  return n;
}

/** --save: the file's directory must exist and be writable, so that a long run is not lost at the end. */
function checkSavePath(path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) fail(`--save ${path}: the directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) fail(`--save ${path}: ${dir} is not a directory`);
  if (existsSync(path) && statSync(path).isDirectory()) fail(`--save ${path} is a directory: give a file name`);
  try {
    accessSync(existsSync(path) ? path : dir, constants.W_OK);
  } catch {
    fail(`--save ${path}: ${existsSync(path) ? 'the file' : `the directory ${dir}`} is not writable`);
  }
}

/**
 * The corpus file as text, refused before it is read when over the cap, and after when it is binary (a NUL byte)
 * or not UTF-8, rather than trained on as replacement characters.
 */
function readCorpus(path: string): string {
  if (!existsSync(path)) fail(`corpus file not found: ${path}`);
  const stat = statSync(path);
  if (!stat.isFile()) fail(`--corpus ${path} is not a file`);
  try {
    wr.io.checkFileSize(stat.size, wr.data.MAX_CORPUS_BYTES, `--corpus ${path}`);
    return wr.data.decodeCorpus(readFileSync(path), { name: `--corpus ${path}`, maxBytes: wr.data.MAX_CORPUS_BYTES });
  } catch (e) {
    fail(`${(e as Error).message}${e instanceof RangeError ? ' (cut it, e.g. with head -c)' : ''}`);
  }
}

/** --init: a checkpoint (this CLI's, the demo's, or a PyTorch state dict); one with a vocabulary must have been trained on this one. */
function readInitialWeights(path: string, vocab: wr.data.Vocab): wr.lm.Checkpoint {
  if (!existsSync(path)) fail(`--init: file not found: ${path}`);
  let checkpoint: wr.lm.Checkpoint;
  try {
    checkpoint = wr.lm.readCheckpoint(readFileSync(path));
  } catch (e) {
    fail(`--init ${path}: ${(e as Error).message}`);
  }
  const saved = checkpoint.vocab;
  if (saved && !saved.equals(vocab)) {
    const first = saved.idxToToken.findIndex((t, i) => t !== vocab.idxToToken[i]);
    fail(`--init ${path} was trained on another vocabulary (${saved.size} tokens${first >= 0 ? `, token ${first} is ${JSON.stringify(saved.idxToToken[first])} there but ${JSON.stringify(vocab.idxToToken[first])} here` : ''}): use the corpus and --max-chars/--mode it was trained with`);
  }
  return checkpoint;
}

/** The task named by --task (lm: this file; g2p: cli/g2p.ts), or 'lm' when none is given. */
function taskOf(argv: readonly string[]): string {
  const i = argv.findIndex((a) => a === '--task' || a.startsWith('--task='));
  if (i < 0) return 'lm';
  return argv[i].startsWith('--task=') ? argv[i].slice(7) : argv[i + 1] ?? '';
}

async function main(): Promise<void> {
  const task = taskOf(process.argv.slice(2));
  if (task === 'g2p') return g2pMain(process.argv.slice(2));
  if (task !== 'lm') fail(`--task must be lm or g2p, got "${task}"`);
  process.argv = process.argv.filter((a, i, all) => !(a.startsWith('--task=') || a === '--task' || all[i - 1] === '--task'));
  let parsed;
  try {
    parsed = parseArgs({ options: OPTIONS, strict: true });
  } catch (e) {
    fail((e as Error).message); // an unknown option, or a value missing (a negative number needs --flag=-1)
  }
  const { values } = parsed;
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (values.preset !== undefined) {
    const preset = PRESETS[values.preset];
    if (!preset) fail(`unknown --preset "${values.preset}" (have: ${Object.keys(PRESETS).join(', ')})`);
    const given = values as Record<string, unknown>;
    for (const [flag, value] of Object.entries(preset.flags)) given[flag] ??= value;
    values.corpus ??= findPresetCorpus(preset.corpus);
    values.prefix ??= preset.prefixes;
    console.log(`preset ${values.preset}: ${Object.entries(preset.flags).map(([k, v]) => `--${k} ${given[k] ?? v}`).join(' ')}`);
  }
  values.mode ??= 'chars';
  values.cell ??= 'lstm';
  values.optimizer ??= 'adam';
  values.sampling ??= 'random';
  if (!values.corpus) fail('--corpus is required');
  const cell = values.cell as 'rnn' | 'gru' | 'lstm';
  if (!wr.nn.isCellMode(cell)) fail(`--cell must be rnn, gru or lstm, got "${cell}"`);
  const mode = values.mode as 'chars' | 'timemachine';
  if (!['chars', 'timemachine'].includes(mode)) fail(`--mode must be chars or timemachine, got "${mode}"`);
  const optimizer = values.optimizer as 'sgd' | 'adam';
  if (!['sgd', 'adam'].includes(optimizer)) fail(`--optimizer must be sgd or adam, got "${optimizer}"`);
  const sampling = values.sampling as wr.data.Sampling;
  if (!['random', 'consecutive', 'sequential'].includes(sampling)) fail(`--sampling must be random, consecutive or sequential, got "${sampling}"`);

  // Every option is checked before the corpus is read and the GPU set up: a typo fails in a second, not after training.
  const maxChars = values['max-chars'] === undefined ? undefined : bounded(values['max-chars'], 'max-chars', 0, 1);
  const hiddenSize = bounded(values.hidden, 'hidden', 256, 1);
  const numLayers = bounded(values.layers, 'layers', 1, 1);
  const epochs = bounded(values.epochs, 'epochs', 250, 1);
  const numSteps = bounded(values.steps, 'steps', 35, 1);
  const batchSize = bounded(values.batch, 'batch', 32, 1);
  const lr = num(values.lr, 'lr', 1e-2);
  if (!(lr > 0)) fail(`--lr must be positive, got ${lr}`);
  const predEvery = bounded(values['pred-every'], 'pred-every', 50, 1);
  const predLen = bounded(values['pred-len'], 'pred-len', 50, 0, MAX_PRED_LEN);
  const temperature = bounded(values.temperature, 'temperature', 0, 0, Infinity, false);
  const clip = bounded(values.clip, 'clip', 0.01, 0, Infinity, false);
  const seed = values.seed === undefined ? undefined : num(values.seed, 'seed', 0, true);
  if (values.save !== undefined) checkSavePath(values.save);

  const { vocab, indices } = wr.data.charCorpus(readCorpus(values.corpus), { maxChars, mode });
  const needed = wr.data.minCorpusLength(batchSize, numSteps, sampling);
  if (indices.length < needed) {
    fail(`the corpus has ${indices.length} characters${maxChars === undefined ? '' : ' (after --max-chars)'}, too few for one batch of --batch ${batchSize} × --steps ${numSteps} with ${sampling} sampling (at least ${needed})`);
  }
  const prefixes = values.prefix ?? [mode === 'timemachine' ? 'time traveller' : Array.from(vocab.idxToToken).slice(0, 2).join('')];

  for (const prefix of prefixes) {
    try {
      vocab.encode(prefix);
    } catch (e) {
      fail(`--prefix "${prefix}": ${(e as Error).message}`);
    }
  }

  const initial = values.init === undefined ? null : readInitialWeights(values.init, vocab);

  const ctx = await wr.init({ gpu: createNodeGpu() });
  const info = ctx.adapterInfo;
  console.log(`adapter: ${wr.describeAdapter(info, ' ') || 'unknown'}`);
  console.log(`corpus: ${indices.length} characters, vocabulary ${vocab.size}`);
  const model = new wr.lm.CharRNN(ctx, {
    vocabSize: vocab.size, cell, hiddenSize, numLayers, seed,
  });
  if (initial) {
    try {
      model.loadStateDict(initial.tensors, initial.shapes);
    } catch (e) {
      fail(`--init ${values.init}: these weights do not fit the model (--cell ${cell} --hidden ${model.hiddenSize} --layers ${model.numLayers}, vocabulary ${vocab.size}): ${(e as Error).message}`);
    }
    console.log(`initial weights: ${values.init}`);
  }
  const bar = values.quiet ? null : new cliProgress.SingleBar({
    format: 'epoch {value}/{total} [{bar}] perplexity {ppl} | {tps} tokens/s | eta {eta_formatted}',
    hideCursor: true, clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  bar?.start(epochs, 0, { ppl: '-', tps: '-' });
  const started = Date.now();
  const history = await wr.train(model, indices, {
    epochs, numSteps, batchSize, lr, clipTheta: clip > 0 ? clip : undefined, optimizer, sampling, seed,
    onEpoch: async (r) => {
      bar?.update(r.epoch, { ppl: r.perplexity.toFixed(3), tps: Math.round(r.tokensPerSecond).toLocaleString('en-US') });
      if (r.epoch % predEvery === 0 || r.epoch === epochs) {
        bar?.stop();
        console.log(`epoch ${r.epoch}, perplexity ${r.perplexity.toFixed(6)}, time ${r.seconds.toFixed(2)} sec, ${Math.round(r.tokensPerSecond)} tokens/s`);
        for (const prefix of prefixes) {
          console.log(` - ${await model.predict(prefix, predLen, vocab, { temperature })}`);
        }
        if (r.epoch < epochs) bar?.start(epochs, r.epoch, { ppl: r.perplexity.toFixed(3), tps: Math.round(r.tokensPerSecond).toLocaleString('en-US') });
      }
    },
  });
  bar?.stop();
  const seconds = (Date.now() - started) / 1000;
  const last = history[history.length - 1];
  const meanTps = history.reduce((s, h) => s + h.tokensPerSecond, 0) / history.length;
  console.log(`done: ${history.length} epochs in ${seconds.toFixed(1)} s, final perplexity ${last.perplexity.toFixed(6)}, mean ${Math.round(meanTps)} tokens/s`);
  if (values.save) {
    const bytes = await wr.lm.saveCheckpoint(model, vocab, { epochs: String(history.length) });
    writeFileSync(values.save, bytes);
    console.log(`saved ${values.save}`);
  }
  ctx.destroy();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
