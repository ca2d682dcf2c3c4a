// The examples' command line: `npm run example -- names|co2 [flags]` (Node, on Dawn; SwiftShader without a GPU).
import { parseArgs } from 'node:util';
import { createNodeGpu } from '../scripts/node-gpu.js';
import * as wr from '../src/index.js';
import * as names from './names.js';
import * as co2 from './co2.js';

const HELP = `npm run example -- names|co2 [flags]

  names   is a first name on the female or the male list? Embedding → bidirectional GRU (lengths) → Linear
          --epochs N (10) --hidden N (64) --embedding N (16) --layers N (1) --dropout P (0)
          --batch N (64) --lr X (5e-3) --max-train N (all) --seed N (1)
  co2     next month's CO2 at Mauna Loa: LSTM → Linear on the last months' changes, AdamW + a schedule
          --epochs N (40) --hidden N (32) --layers N (1) --window N (24) --batch N (32) --lr X (1e-2)
          --weight-decay X (1e-2) --schedule cosine|step (cosine) --seed N (1)`;

const FLAGS = {
  epochs: 'epochs', hidden: 'hiddenSize', embedding: 'embeddingDim', layers: 'numLayers', dropout: 'dropout', batch: 'batchSize',
  lr: 'lr', 'max-train': 'maxTrain', seed: 'seed', window: 'window', 'weight-decay': 'weightDecay',
} as const;
const ALLOWED: Record<string, readonly string[]> = {
  names: ['epochs', 'hidden', 'embedding', 'layers', 'dropout', 'batch', 'lr', 'max-train', 'seed'],
  co2: ['epochs', 'hidden', 'layers', 'window', 'batch', 'lr', 'weight-decay', 'seed', 'schedule'],
};

function fail(message: string): never {
  console.error(`error: ${message}\n\n${HELP}`);
  process.exit(2);
}

function parse(): { example: 'names' | 'co2'; options: Record<string, number | string> } {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        ...Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' as const }])),
        schedule: { type: 'string' }, help: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  if (parsed.values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const [example, ...rest] = parsed.positionals;
  if (example !== 'names' && example !== 'co2') fail(`name an example, names or co2${example ? `, not ${JSON.stringify(example)}` : ''}`);
  if (rest.length) fail(`unexpected argument(s) ${rest.join(' ')}`);
  const options: Record<string, number | string> = {};
  for (const [flag, value] of Object.entries(parsed.values)) {
    if (flag === 'help' || value === undefined) continue;
    if (!ALLOWED[example].includes(flag)) fail(`--${flag} is not an option of ${example}`);
    if (flag === 'schedule') {
      options.schedule = String(value);
      continue;
    }
    const n = Number(value);
    if (String(value).trim() === '' || !Number.isFinite(n)) fail(`--${flag} must be a number, got ${JSON.stringify(value)}`);
    options[FLAGS[flag as keyof typeof FLAGS]] = n;
  }
  return { example, options };
}

async function main(): Promise<void> {
  const { example, options } = parse();
  const ctx = await wr.init({ gpu: createNodeGpu() });
  console.log(`adapter: ${wr.describeAdapter(ctx.adapterInfo)}`);
  const t0 = performance.now();
  const seconds = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  try {
    if (example === 'names') {
      const r = await names.run(ctx, { ...(options as names.NamesOptions), onEpoch: (e) => console.log(`epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)} (${seconds()})`) });
      console.log(`${r.trainSize} training names, ${r.heldOutSize} held out, ${r.dropped} on both lists dropped, ${r.vocabSize} ids`);
      console.log(`held-out accuracy ${(100 * r.heldOutAccuracy).toFixed(1)}%  (majority class, always '${r.majorityClass}': ${(100 * r.majorityAccuracy).toFixed(1)}%)`);
    } else {
      const r = await co2.run(ctx, { ...(options as co2.Co2Options), onEpoch: (e) => console.log(`epoch ${e.epoch}: lr ${e.lr.toPrecision(3)}, train loss ${e.trainLoss.toFixed(4)} (${seconds()})`) });
      console.log(`${r.trainMonths} training months, ${r.heldOutMonths} held out from ${r.heldOutFrom}, one step ahead`);
      console.log(`held-out RMSE ${r.rmse.toFixed(3)} ppm  (persistence: ${r.persistenceRmse.toFixed(3)} ppm; last year's change: ${r.seasonalRmse.toFixed(3)} ppm)`);
    }
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) fail(e.message);
    throw e;
  } finally {
    ctx.destroy();
  }
}

await main();
