// Example: next month's CO2 at Mauna Loa, one step ahead. An LSTM reads the last `window` month-to-month
// changes (normalised with the training months' mean and deviation) and a Linear layer on its final state
// predicts the next change; mseLoss, AdamW and a learning-rate schedule (CosineAnnealingLR or StepLR, per
// epoch). The split is chronological: the model trains on the early decades and is scored on the last ones,
// which it never saw, against persistence (next month = this month).
//   npm run example -- co2 [--epochs N --hidden N --window N ...]
// Changes rather than levels: the held-out months lie above every training level (the trend), where a model of
// normalised levels would have to extrapolate; the changes (trend plus the seasonal cycle) stay in range.
import * as wr from '../src/index.js';
import type { Context, Tensor } from '../src/index.js';
import { positiveInteger, positiveNumber, nonNegativeNumber } from '../src/core/validate.js';
import { loadCo2, type MonthlySeries } from './datasets.js';

export interface Co2Windows {
  /** float32 [window, N, 1], time-major: the normalised changes before each target month. */
  inputs: Float32Array;
  /** float32 [N, 1]: the normalised change into each target month. */
  targets: Float32Array;
  /** Index into the series of each target month. */
  months: Int32Array;
  N: number;
}

/** Windows for the target months in [from, to) of the series (each needs `window` changes before it). */
export function makeWindows(changes: Float64Array, from: number, to: number, window: number, mean: number, std: number): Co2Windows {
  // changes[t] = values[t] - values[t - 1] for t >= 1 (changes[0] unused)
  const first = Math.max(from, window + 1);
  const N = Math.max(0, to - first);
  const inputs = new Float32Array(window * N);
  const targets = new Float32Array(N);
  const months = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const t = first + n;
    for (let k = 0; k < window; k++) inputs[k * N + n] = (changes[t - window + k] - mean) / std;
    targets[n] = (changes[t] - mean) / std;
    months[n] = t;
  }
  return { inputs, targets, months, N };
}

/** The rows `picked` of a windows set, as one batch. */
function pick(w: Co2Windows, picked: readonly number[], window: number): { inputs: Float32Array; targets: Float32Array } {
  const B = picked.length;
  const inputs = new Float32Array(window * B);
  const targets = new Float32Array(B);
  picked.forEach((n, b) => {
    for (let k = 0; k < window; k++) inputs[k * B + b] = w.inputs[k * w.N + n];
    targets[b] = w.targets[n];
  });
  return { inputs, targets };
}

export class Co2Forecaster extends wr.nn.Module {
  readonly lstm: wr.nn.LSTM;
  readonly fc: wr.nn.Linear;

  constructor(ctx: Context, readonly hiddenSize: number, numLayers: number, seed: number) {
    super(ctx);
    this.lstm = this.registerModule('lstm', new wr.nn.LSTM(ctx, { inputSize: 1, hiddenSize, numLayers, seed }));
    this.fc = this.registerModule('fc', new wr.nn.Linear(ctx, { inFeatures: hiddenSize, outFeatures: 1, seed: seed + 1 }));
  }

  /** x: [window, B, 1] → the next normalised change, [B, 1]. */
  forward(x: Tensor): Tensor {
    const B = x.shape[1];
    const L = this.lstm.numLayers;
    const temps: Tensor[] = [];
    try {
      const [output, [hN, cN]] = this.lstm.forward(x); // hN [L, B, H]
      temps.push(output, hN, cN);
      const top = L > 1 ? wr.ops.narrow0(hN, L - 1, 1) : hN; // [1, B, H]: the last layer's final state
      if (top !== hN) temps.push(top);
      const features = top.reshape([B, this.hiddenSize]);
      temps.push(features);
      return this.fc.forward(features); // [B, 1]
    } finally {
      for (const t of temps) t.dispose();
    }
  }
}

export interface Co2Options {
  /** Default: loadCo2() (vega-datasets' co2-concentration.csv). */
  series?: MonthlySeries;
  seed?: number; // 1: initial weights and batch order
  /** Months of history the model reads (default 24). */
  window?: number;
  /** The last fraction of the months is held out (default 0.2: 2008-2020). */
  heldOutFraction?: number;
  hiddenSize?: number; // 32
  numLayers?: number; // 1
  batchSize?: number; // 32
  epochs?: number; // 40
  lr?: number; // 1e-2
  weightDecay?: number; // 1e-2 (AdamW's default)
  /** 'cosine': CosineAnnealingLR over all epochs (default); 'step': StepLR, lr × 0.3 every epochs/3. */
  schedule?: 'cosine' | 'step';
  onEpoch?: (record: Co2Epoch) => void;
}

export interface Co2Epoch {
  epoch: number;
  lr: number;
  /** Mean training loss (MSE of the normalised change). */
  trainLoss: number;
}

export interface Co2Result {
  /** One-step-ahead root mean squared error on the held-out months, ppm. */
  rmse: number;
  /** The same for persistence (next month = this month). */
  persistenceRmse: number;
  /** The same for the seasonal change (next month = this month + the change a year earlier): a stronger baseline. */
  seasonalRmse: number;
  trainMonths: number;
  heldOutMonths: number;
  /** First held-out month, 'YYYY-MM'. */
  heldOutFrom: string;
  history: Co2Epoch[];
}

const rmsOf = (errors: readonly number[]) => Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);

function monthAfter(start: string, months: number): string {
  const [y, m] = start.split('-').map(Number);
  const i = y * 12 + m - 1 + months;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
}

export async function run(ctx: Context, options: Co2Options = {}): Promise<Co2Result> {
  // Every option checked before anything is read or allocated.
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new RangeError(`co2: seed must be an integer, got ${seed}`);
  const window = options.window ?? 24;
  if (!Number.isInteger(window) || window < 12) throw new RangeError(`co2: window must be an integer >= 12 (a year, for the seasonal baseline), got ${window}`);
  const batchSize = positiveInteger(options.batchSize ?? 32, 'batchSize', 'co2');
  const epochs = positiveInteger(options.epochs ?? 40, 'epochs', 'co2');
  const hiddenSize = positiveInteger(options.hiddenSize ?? 32, 'hiddenSize', 'co2');
  const numLayers = positiveInteger(options.numLayers ?? 1, 'numLayers', 'co2');
  const lr = positiveNumber(options.lr ?? 1e-2, 'lr', 'co2');
  const weightDecay = nonNegativeNumber(options.weightDecay ?? 1e-2, 'weightDecay', 'co2');
  const heldOutFraction = options.heldOutFraction ?? 0.2;
  if (!(heldOutFraction > 0 && heldOutFraction < 1)) throw new RangeError(`co2: heldOutFraction must be in (0, 1), got ${heldOutFraction}`);
  const schedule = options.schedule ?? 'cosine';
  if (schedule !== 'cosine' && schedule !== 'step') throw new RangeError(`co2: schedule must be 'cosine' or 'step', got ${String(schedule)}`);
  const series = options.series ?? loadCo2();
  const values = series.values;
  const split = Math.round(values.length * (1 - heldOutFraction)); // first held-out month
  if (split <= window + 1 || split >= values.length) {
    throw new RangeError(`co2: a series of ${values.length} months leaves no training or held-out months for window ${window}`);
  }
  const changes = new Float64Array(values.length);
  for (let t = 1; t < values.length; t++) changes[t] = values[t] - values[t - 1];
  // Normalisation from the training months only.
  const trainChanges = changes.subarray(1, split);
  const mean = trainChanges.reduce((a, b) => a + b, 0) / trainChanges.length;
  const std = Math.sqrt(trainChanges.reduce((a, b) => a + (b - mean) ** 2, 0) / trainChanges.length);
  const train = makeWindows(changes, 0, split, window, mean, std);
  const heldOut = makeWindows(changes, split, values.length, window, mean, std);

  const model = new Co2Forecaster(ctx, hiddenSize, numLayers, seed);
  const opt = new wr.optim.AdamW(model.parameters(), { lr, weightDecay });
  const sched = schedule === 'step'
    ? new wr.optim.lrScheduler.StepLR(opt, { stepSize: Math.max(1, Math.round(epochs / 3)), gamma: 0.3 })
    : new wr.optim.lrScheduler.CosineAnnealingLR(opt, { tMax: epochs });
  const rng = wr.data.makeRng(seed + 1000);
  const history: Co2Epoch[] = [];
  let predicted: Float32Array;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const order = wr.data.shuffleInPlace(Array.from({ length: train.N }, (_, n) => n), rng);
      const steps = Math.ceil(train.N / batchSize);
      const losses = ctx.zeros([steps], 'float32', 'co2-losses');
      const lr = opt.lr;
      try {
        for (let s = 0; s < steps; s++) {
          const rows = order.slice(s * batchSize, (s + 1) * batchSize);
          const batch = pick(train, rows, window);
          const step: Tensor[] = [];
          try {
            const x = ctx.tensor(batch.inputs, [window, rows.length, 1]);
            const y = ctx.tensor(batch.targets, [rows.length, 1]);
            step.push(x, y);
            const prediction = model.forward(x);
            const loss = wr.nn.functional.mseLoss(prediction, y);
            step.push(prediction, loss);
            opt.zeroGrad();
            loss.backward();
            // Step losses weighted by their batch size, so that their sum / N is the epoch's mean.
            const weighted = wr.noGrad(() => wr.ops.scale(loss, rows.length));
            step.push(weighted);
            wr.ops.copyBlockInto(losses, weighted, { rows: 1, cols: 1, srcStride: 0, srcOffset: 0, dstStride: 0, dstOffset: s });
            opt.step();
          } finally {
            for (const t of step) t.dispose();
          }
        }
        const trainLoss = ((await losses.read()) as Float32Array).reduce((a, b) => a + b, 0) / train.N;
        if (!Number.isFinite(trainLoss)) throw new Error(`co2: the training loss is ${trainLoss} in epoch ${epoch}`);
        sched.step();
        const record = { epoch, lr, trainLoss };
        history.push(record);
        options.onEpoch?.(record);
      } finally {
        losses.dispose();
      }
    }
    // Every held-out month at once, each from the true months before it.
    model.eval();
    const x = ctx.tensor(heldOut.inputs, [window, heldOut.N, 1]);
    try {
      const out = wr.noGrad(() => model.forward(x)); // [N, 1]
      predicted = (await out.read()) as Float32Array;
      out.dispose();
    } finally {
      x.dispose();
    }
  } finally {
    opt.zeroGrad();
    opt.dispose();
    for (const p of model.parameters()) p.dispose();
  }
  const errors: number[] = [];
  const persistence: number[] = [];
  const seasonal: number[] = [];
  heldOut.months.forEach((t, n) => {
    const forecast = values[t - 1] + predicted[n] * std + mean;
    errors.push(forecast - values[t]);
    persistence.push(values[t - 1] - values[t]);
    seasonal.push(values[t - 1] + changes[t - 12] - values[t]);
  });
  return {
    rmse: rmsOf(errors),
    persistenceRmse: rmsOf(persistence),
    seasonalRmse: rmsOf(seasonal),
    trainMonths: split,
    heldOutMonths: heldOut.N,
    heldOutFrom: monthAfter(series.start, split),
    history,
  };
}
