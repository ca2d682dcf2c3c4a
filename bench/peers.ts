// `npm run bench:peers`: webrnn against TF.js's WebGPU backend (@tensorflow/tfjs-backend-webgpu, a dev dependency
// of this suite only) in one Node process on Dawn, so both get the same adapter. The peers' small workload:
// vocabulary 1027, hidden 64, batch 8, 10 time steps, one layer; a training step (one-hot → cell → dense, softmax
// cross-entropy, backward, clipping to 0.01 by the global norm, SGD lr 100, the loss read back every step) and
// 50 greedy characters of generation. Both sides start from the same weights: their losses after the timed steps
// and their generated ids are compared, so the ratio is between two runs of the same arithmetic.
// Bundled by bench/peers.mjs (bench/build.mjs); arguments: --json FILE.
import { writeFileSync } from 'node:fs';
import { globals } from 'webgpu';
import { createNodeGpu } from '../scripts/node-gpu.js';
import * as wr from '../src/index.js';
import { describeAdapter, fmt, fmtMs, median, type BenchRecord } from './harness.js';
import type { Cell, TfCharRNN } from './peers/tfjs-charrnn.js';

const CELLS: Cell[] = ['rnn', 'gru', 'lstm'];
const V = 1027, H = 64, B = 8, T = 10, CLIP = 0.01, LR = 100, GENERATE = 50;
/** Each side's training steps are timed until this long has passed (and at least MIN_STEPS). */
const TIME_MS = 3000, MIN_STEPS = 10, MAX_STEPS = 500, WARMUP_STEPS = 3;
/** Agreement expected between the two sides' losses after the same steps (float32, different reduction orders). */
const LOSS_TOLERANCE = 1e-3;

/** Median milliseconds of `step` over the steps that fit in TIME_MS, after WARMUP_STEPS untimed ones. */
async function timeSteps(step: () => Promise<unknown>): Promise<{ ms: number; steps: number }> {
  for (let i = 0; i < WARMUP_STEPS; i++) await step();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < MIN_STEPS || (performance.now() - start < TIME_MS && times.length < MAX_STEPS)) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), steps: times.length };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const jsonAt = args.indexOf('--json');
  const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;

  // TF.js finds WebGPU as a page does: navigator.gpu and the GPU* constants, here Dawn's (the same GPU object
  // webrnn uses). The backend registers itself on import only when navigator.gpu exists, hence the late import.
  const gpu = createNodeGpu();
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  await import('@tensorflow/tfjs-backend-webgpu');
  const { TfCharRNN: TfModel } = await import('./peers/tfjs-charrnn.js');
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its WebGPU backend on this adapter');
  await tf.ready();

  const ctx = await wr.init({ gpu });
  const records: BenchRecord[] = [];
  const log = (line: string, record?: BenchRecord) => {
    console.log(line);
    if (record) records.push({ suite: 'peers', ...record });
  };
  let mismatches = 0;
  try {
    const tfAdapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }); // what TF.js's backend asks for
    log(`runtime: Node ${process.version} on ${process.platform}-${process.arch} (Dawn, the 'webgpu' package)`);
    log(`webrnn adapter: ${describeAdapter(ctx.adapterInfo)}`);
    log(`TF.js ${tf.version_core} (WebGPU backend) adapter: ${describeAdapter(tfAdapter?.info ?? null)}`);
    log(`workload: V=${V} H=${H} B=${B} T=${T}, one layer, clip ${CLIP}, SGD lr ${LR}, the loss read back every step; ` +
      `generation: ${GENERATE} greedy characters after a 2-character prefix, read back once`);

    const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % V); // [B, T], as the recurrent suite
    const targets = Int32Array.from({ length: T * B }, (_, i) => (ids[(i % B) * T + Math.floor(i / B)]! + 1) % V); // [T·B], time-major
    const prefix = [1, 2];
    const vocab = new wr.data.Vocab(Array.from({ length: V }, (_, i) => String.fromCodePoint(0x4e00 + i)));

    for (const cell of CELLS) {
      const model = new wr.lm.CharRNN(ctx, { vocabSize: V, hiddenSize: H, cell, seed: 1 });
      const tfModel: TfCharRNN = new TfModel(cell, V, H, await model.stateDict(), model.parameterShapes(), LR, CLIP);
      const params = model.parameters();
      const opt = new wr.optim.SGD(params, { lr: LR });
      const X = ctx.tensor(ids, [B, T], 'int32');
      const Y = ctx.tensor(targets, [T * B], 'int32');
      const tfX = tf.tensor2d(ids, [B, T], 'int32');
      const tfY = tf.tensor1d(targets, 'int32');

      // Generation first, from the shared initial weights: both sides must pick the same characters.
      const webrnnIds = vocab.encode((await model.predict(vocab.decode(prefix), GENERATE, vocab)).slice(prefix.length));
      const tfIds = await tfModel.generate(prefix, GENERATE);
      const sameText = webrnnIds.length === tfIds.length && webrnnIds.every((id, i) => id === tfIds[i]);
      const genWebrnn = await timeSteps(() => model.predict(vocab.decode(prefix), GENERATE, vocab));
      const genTf = await timeSteps(() => tfModel.generate(prefix, GENERATE));

      let webrnnLoss = NaN;
      const webrnnStep = async () => {
        const [logits, state] = model.forward(X);
        const loss = wr.nn.functional.crossEntropy(logits, Y);
        opt.zeroGrad();
        loss.backward();
        const norm = wr.nn.utils.clipGradNorm(params, CLIP);
        opt.step();
        webrnnLoss = (await loss.read())[0]!;
        for (const t of [logits, loss, norm, ...(Array.isArray(state) ? state : [state])]) t.dispose();
      };
      let tfLoss = NaN;
      const tfStep = async () => {
        tfLoss = await tfModel.trainStep(tfX, tfY);
      };
      const trainWebrnn = await timeSteps(webrnnStep);
      const trainTf = await timeSteps(tfStep);
      // Same number of steps on both sides, then the losses of one more step each must agree.
      for (let i = trainWebrnn.steps; i < trainTf.steps; i++) await webrnnStep();
      for (let i = trainTf.steps; i < trainWebrnn.steps; i++) await tfStep();
      await webrnnStep();
      await tfStep();
      const stepsTaken = WARMUP_STEPS + Math.max(trainWebrnn.steps, trainTf.steps) + 1;
      const lossDiff = Math.abs(webrnnLoss - tfLoss) / Math.max(1, Math.abs(tfLoss));
      const lossesAgree = lossDiff <= LOSS_TOLERANCE;
      if (!lossesAgree || !sameText) mismatches++;

      log(`${cell} training step: webrnn ${fmtMs(trainWebrnn.ms)}, TF.js ${fmtMs(trainTf.ms)} → webrnn ${fmt(trainTf.ms / trainWebrnn.ms)}× ` +
        `(medians of ${trainWebrnn.steps} / ${trainTf.steps} steps; loss at step ${stepsTaken}: ${webrnnLoss.toFixed(5)} / ${tfLoss.toFixed(5)}` +
        `${lossesAgree ? ', agree' : `, DIFFER by ${lossDiff.toExponential(2)}`})`, {
        name: `${cell} training step`, value: trainTf.ms / trainWebrnn.ms, unit: '× (TF.js / webrnn)', cell,
        webrnnMs: trainWebrnn.ms, tfjsMs: trainTf.ms, webrnnLoss, tfjsLoss: tfLoss, V, H, B, T,
      });
      log(`${cell} generate ${GENERATE}: webrnn ${fmtMs(genWebrnn.ms)}, TF.js ${fmtMs(genTf.ms)} → webrnn ${fmt(genTf.ms / genWebrnn.ms)}× ` +
        `(medians of ${genWebrnn.steps} / ${genTf.steps} runs; ${sameText ? 'the same characters' : 'DIFFERENT characters'})`, {
        name: `${cell} generate ${GENERATE}`, value: genTf.ms / genWebrnn.ms, unit: '× (TF.js / webrnn)', cell,
        webrnnMs: genWebrnn.ms, tfjsMs: genTf.ms, sameText, V, H,
      });

      opt.zeroGrad();
      for (const t of [X, Y, ...params]) t.dispose();
      tf.dispose([tfX, tfY]);
      tfModel.dispose();
    }
    if (mismatches) log(`peers: ${mismatches} cell(s) where the two sides did not compute the same thing (see DIFFER above)`);
    if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify({ runtime: 'node', tfjs: tf.version_core, records }, null, 2)}\n`);
    return mismatches ? 1 : 0;
  } finally {
    ctx.destroy();
    tf.engine().reset();
  }
}

main().then(
  (code) => process.exit(code), // Dawn keeps the event loop alive
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
