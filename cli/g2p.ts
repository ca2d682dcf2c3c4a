// `npm run train -- --task g2p`: grapheme-to-phoneme with wr.seq2seq (d2l's encoder-decoder, optionally with
// Bahdanau attention) on CMUdict, with a progress bar, validation PER/WER per epoch, --eval on any TSV of the same
// format, and --save / --init (.safetensors with the config and both vocabularies, as scripts/torch_seq2seq.py).
//   npm run train -- --task g2p --preset literature --epochs 20 --save g2p.safetensors
//   npm run train -- --task g2p --init g2p.safetensors --epochs 0 --eval test.tsv --beam 5
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { createNodeGpu } from '../scripts/node-gpu.js';
import * as wr from '../src/index.js';

/** Model and training presets; explicit flags override them. */
const PRESETS: Record<string, Record<string, string>> = {
  // d2l 1.0's seq2seq chapter (9.7): embed 256, hidden 256, 2 layers, dropout 0.2, Adam lr 0.005, clipping 1.
  d2l: { embed: '256', hidden: '256', layers: '2', dropout: '0.2', lr: '0.005', clip: '1', batch: '128', epochs: '10' },
  // The G2P literature's size (Yao & Zweig 2015; Toshniwal & Livescu 2016): 2 layers of 512 with attention.
  literature: { attention: 'true', embed: '256', hidden: '512', layers: '2', dropout: '0', lr: '0.002', clip: '1', batch: '128', epochs: '20' },
};

const DATA_PLACES = ['../shared/data/cmudict-g014b2b/train.tsv', 'shared/data/cmudict-g014b2b/train.tsv', '.gpu/data/cmudict-g014b2b/train.tsv'];
const MAX_TSV_BYTES = 64 * 2 ** 20;

const HELP = `webrnn train --task g2p: grapheme-to-phoneme on the GPU (d2l's Seq2Seq)

  --data FILE.tsv      WORD<TAB>PH PH ... lines (default: shared/data/cmudict-g014b2b/train.tsv)
  --preset d2l|literature   d2l: 256/256, 2 layers, dropout 0.2; literature: 512 units, 2 layers, attention
  --attention          Bahdanau attention (Seq2SeqAttentionDecoder)
  --embed N (32)  --hidden N (64)  --layers N (1)  --dropout X (0; not with --attention)
  --epochs N (10; 0 = only evaluate)  --batch N (64)  --lr X (0.005)  --clip X (1; 0 = off)
  --max-words N        use the first N lines of the data only
  --valid N            words held out for validation (default 5% of the words, at most 5000; 0 = none)
  --beam N (1)         beams for decoding (1 = greedy)      --max-len N (phonemes per word, default 2·letters + 5)
  --seed N (0)         the split, batch order and initial weights
  --eval FILE.tsv      after training, score this file (PER / WER against all of each word's pronunciations)
  --init FILE          start from a model file (this CLI's --save, or scripts/torch_seq2seq.py --save)
  --save FILE          write the model (.safetensors with the config and both vocabularies)
  --quiet              no progress bar`;

const OPTIONS = {
  task: { type: 'string' }, preset: { type: 'string' }, data: { type: 'string' }, attention: { type: 'boolean' },
  embed: { type: 'string' }, hidden: { type: 'string' }, layers: { type: 'string' }, dropout: { type: 'string' },
  epochs: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, clip: { type: 'string' },
  'max-words': { type: 'string' }, valid: { type: 'string' }, beam: { type: 'string' }, 'max-len': { type: 'string' },
  seed: { type: 'string' }, eval: { type: 'string' }, init: { type: 'string' }, save: { type: 'string' },
  quiet: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
} as const;

function fail(message: string): never {
  console.error(`error: ${message}\n\n${HELP}`);
  process.exit(2);
}

function num(value: string | undefined, name: string, fallback: number, min: number, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) fail(`--${name} must be ${integer ? 'an integer' : 'a number'}, got "${value}"`);
  if (n < min) fail(`--${name} must be at least ${min}, got ${n}`);
  return n;
}

function readTsv(path: string, flag: string): wr.data.G2PEntry[] {
  if (!existsSync(path)) fail(`${flag} ${path}: file not found`);
  if (!statSync(path).isFile()) fail(`${flag} ${path} is not a file`);
  if (statSync(path).size > MAX_TSV_BYTES) fail(`${flag} ${path} is over ${MAX_TSV_BYTES / 2 ** 20} MiB`);
  try {
    return wr.data.parseG2PTsv(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(`${flag} ${path}: ${(e as Error).message}`);
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export async function g2pMain(argv: string[]): Promise<void> {
  let values;
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true }).values;
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.help) {
    console.log(HELP);
    return;
  }
  const given = values as Record<string, unknown>;
  if (values.preset !== undefined) {
    const preset = PRESETS[values.preset];
    if (!preset) fail(`unknown --preset "${values.preset}" (have: ${Object.keys(PRESETS).join(', ')})`);
    for (const [flag, value] of Object.entries(preset)) given[flag] ??= flag === 'attention' ? value === 'true' : value;
    console.log(`preset ${values.preset}: ${Object.keys(preset).map((k) => `--${k} ${given[k]}`).join(' ')}`);
  }
  const embedSize = num(values.embed, 'embed', 32, 1);
  const hiddenSize = num(values.hidden, 'hidden', 64, 1);
  const numLayers = num(values.layers, 'layers', 1, 1);
  const dropout = num(values.dropout, 'dropout', 0, 0, false);
  const epochs = num(values.epochs, 'epochs', 10, 0);
  const batchSize = num(values.batch, 'batch', 64, 1);
  const lr = num(values.lr, 'lr', 0.005, 0, false);
  const clip = num(values.clip, 'clip', 1, 0, false);
  const beamSize = num(values.beam, 'beam', 1, 1);
  const maxLen = values['max-len'] === undefined ? undefined : num(values['max-len'], 'max-len', 0, 1);
  const seed = num(values.seed, 'seed', 0, 0);
  const attention = values.attention ?? false;
  if (attention && dropout > 0) fail('--dropout with --attention is not supported yet (the fused attention decoder has no dropout)');
  if (dropout >= 1) fail(`--dropout must be below 1, got ${dropout}`);
  const dataPath = values.data ?? DATA_PLACES.find((p) => existsSync(p));
  if (!dataPath) fail(`--data is required (the default ${DATA_PLACES[0]} was not found)`);
  let entries = readTsv(dataPath, '--data');
  if (values['max-words'] !== undefined) entries = entries.slice(0, num(values['max-words'], 'max-words', 0, 1));
  const evalEntries = values.eval === undefined ? null : readTsv(values.eval, '--eval');
  const initial = values.init === undefined ? null : readModelFile(values.init);

  const vocabs = initial?.vocabs ?? wr.data.g2pVocabs(entries);
  const words = new Set(entries.map((e) => e.word)).size;
  const numValid = num(values.valid, 'valid', Math.min(5000, Math.round(words * 0.05)), 0);
  if (numValid >= words) fail(`--valid ${numValid}: the data has only ${words} words`);
  const { train, valid } = wr.data.splitByWord(entries, { numValid, seed });

  const ctx = await wr.init({ gpu: createNodeGpu() });
  console.log(`adapter: ${wr.describeAdapter(ctx.adapterInfo) || 'unknown'}`);
  console.log(`data: ${dataPath}, ${entries.length} pronunciations of ${words} words; ${train.length} for training, ${new Set(valid.map((e) => e.word)).size} words held out; ${vocabs.graphemes.size} graphemes, ${vocabs.phonemes.size} phonemes (specials included)`);
  let model: wr.seq2seq.Seq2Seq;
  if (initial) {
    try {
      model = wr.seq2seq.loadG2PModel(ctx, initial.bytes).model;
    } catch (e) {
      fail(`--init ${values.init}: ${(e as Error).message}`);
    }
    console.log(`initial weights: ${values.init} (${JSON.stringify(model.config)})`);
  } else {
    model = new wr.seq2seq.Seq2Seq(ctx, {
      srcVocabSize: vocabs.graphemes.size, tgtVocabSize: vocabs.phonemes.size, embedSize, hiddenSize, numLayers, dropout, attention, seed,
    });
    console.log(`model: ${JSON.stringify(model.config)}, ${model.parameters().reduce((n, p) => n + p.numel, 0).toLocaleString('en-US')} parameters`);
  }
  const decode = { beamSize, maxLen };
  const opt = new wr.optim.Adam(model.parameters(), { lr });
  const started = Date.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const batches = wr.data.g2pBatches(train, vocabs, { batchSize, seed: seed + epoch - 1 });
    const bar = values.quiet ? null : new cliProgress.SingleBar({
      format: `epoch ${epoch}/${epochs} [{bar}] {value}/{total} steps | loss {loss} | eta {eta_formatted}`, hideCursor: true, clearOnComplete: true,
    }, cliProgress.Presets.shades_classic);
    bar?.start(batches.length, 0, { loss: '-' });
    const epochStart = Date.now();
    let lossSum = 0, tokens = 0;
    let pending: { loss: wr.Tensor; n: number }[] = [];
    const drain = async () => {
      for (const p of pending) {
        lossSum += (await p.loss.read())[0] * p.n;
        tokens += p.n;
        p.loss.dispose();
      }
      pending = [];
    };
    model.train();
    for (const [i, b] of batches.entries()) {
      const loss = wr.seq2seq.seq2seqStep(model, opt, b, { pad: wr.data.G2P_IDS.pad, clip: clip > 0 ? clip : undefined });
      pending.push({ loss, n: b.target.reduce((n, t) => n + (t !== wr.data.G2P_IDS.pad ? 1 : 0), 0) });
      if (pending.length >= 16 || i === batches.length - 1) {
        await drain();
        if (!Number.isFinite(lossSum)) fail(`the loss became ${lossSum} in epoch ${epoch}: try a smaller --lr`);
      }
      bar?.update(i + 1, { loss: tokens ? (lossSum / tokens).toFixed(4) : '-' });
    }
    bar?.stop();
    const seconds = (Date.now() - epochStart) / 1000;
    let line = `epoch ${epoch}: loss ${(lossSum / tokens).toFixed(4)}, ${seconds.toFixed(1)} s, ${Math.round(tokens / seconds)} tokens/s`;
    if (valid.length) {
      const r = await wr.seq2seq.evaluateG2P(model, valid, vocabs, decode);
      line += `, validation PER ${pct(r.per)} WER ${pct(r.wer)} (${r.words} words, beam ${beamSize})`;
    }
    console.log(line);
  }
  if (epochs > 0) console.log(`done: ${epochs} epochs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (epochs === 0 && valid.length) {
    const r = await wr.seq2seq.evaluateG2P(model, valid, vocabs, decode);
    console.log(`validation PER ${pct(r.per)} WER ${pct(r.wer)} (${r.words} words, beam ${beamSize})`);
  }
  if (evalEntries) {
    const r = await wr.seq2seq.evaluateG2P(model, evalEntries, vocabs, decode);
    console.log(`eval ${values.eval}: PER ${pct(r.per)} WER ${pct(r.wer)} (${r.words} words, beam ${beamSize})`);
  }
  if (values.save) {
    writeFileSync(values.save, await wr.seq2seq.saveG2PModel(model, vocabs));
    console.log(`saved ${values.save}`);
  }
  ctx.destroy();
}

/** --init: the file's bytes and vocabularies, checked before the GPU is set up. */
function readModelFile(path: string): { bytes: Uint8Array; vocabs: wr.data.G2PVocabs } {
  if (!existsSync(path)) fail(`--init ${path}: file not found`);
  const bytes = new Uint8Array(readFileSync(path));
  try {
    const { metadata } = wr.io.loadSafetensors(bytes);
    const vocabs = wr.seq2seq.vocabsFromMetadata(metadata);
    if (!vocabs) fail(`--init ${path}: no graphemes/phonemes vocabularies in its metadata (not a G2P model file)`);
    return { bytes, vocabs };
  } catch (e) {
    fail(`--init ${path}: ${(e as Error).message}`);
  }
}
