// The sentence-classifier shape of API.md 9-10: a 2-layer bidirectional GRU with dropout 0.3 between the layers
// over a padded batch of unsorted lengths (between T/4 and T), float input (embeddings, inputSize 128), hidden
// 256, batch 32, 35 steps. Forward + backward in training mode (dropout masks drawn, lengths honoured), and the
// forward alone in eval mode (no dropout dispatch), each with its dispatch count and dispatches per time step.
// On a CPU-emulated adapter the sizes are scaled down (named in every line).
import type { Tensor } from '../../src/index.js';
import { describeBound, fmt, fmtMs, gpuProfile, timeBatches, type Context, type Log, type WR } from '../harness.js';

export async function run(wr: WR, ctx: Context, log: Log): Promise<void> {
  // WEBRNN_BENCH_SIZE=textbook (Node) keeps the full size on a software adapter too, as the recurrent suite.
  const forceFull = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.WEBRNN_BENCH_SIZE === 'textbook';
  const software = ctx.softwareAdapter && !forceFull;
  const size = software ? { E: 16, H: 32, B: 8, T: 35 } : { E: 128, H: 256, B: 32, T: 35 };
  const { E, H, B, T } = size;
  const numLayers = 2;
  const dropout = 0.3;
  const sizeName = `E=${E} H=${H} B=${B} T=${T}, 2 layers, bidirectional, dropout ${dropout}` +
    (software ? ' (scaled down for a software adapter)' : '');
  const timing = ctx.softwareAdapter ? { batches: 3, reps: 1 } : { batches: 7, minBatchMs: 100 };
  const profiledReps = ctx.softwareAdapter ? 1 : 20;

  // Unsorted lengths spread over [T/4, T] (a fixed pattern, so every run measures the same batch).
  const lo = Math.ceil(T / 4);
  const lengths = Int32Array.from({ length: B }, (_, b) => lo + ((b * 7919) % (T - lo + 1)));
  const tokens = lengths.reduce((a, n) => a + n, 0); // the valid steps; padding costs no cell work
  wr.nn.manualSeed(ctx, 1);
  const gru = new wr.nn.GRU(ctx, { inputSize: E, hiddenSize: H, numLayers, bidirectional: true, dropout, seed: 1 });
  const xData = Float32Array.from({ length: T * B * E }, (_, i) => Math.sin(i * 0.37));
  const x = ctx.tensor(xData, [T, B, E]);
  const dOut = ctx.tensor(new Float32Array(T * B * 2 * H).fill(1e-3), [T, B, 2 * H]);
  log(`size: ${sizeName}; lengths ${Math.min(...lengths)}..${Math.max(...lengths)} (${tokens} of ${T * B} steps valid)`);

  let dispatches = 0;
  const fwdBwd = (reps: number) => {
    for (let r = 0; r < reps; r++) {
      const d0 = ctx.dispatchCount;
      const [out, hN] = gru.forward(x, null, { lengths });
      out.backward(dOut);
      dispatches = ctx.dispatchCount - d0;
      out.dispose();
      hN.dispose();
      gru.zeroGrad();
      ctx.flush();
    }
  };
  gru.train();
  const t = await timeBatches(ctx, fwdBwd, timing);
  const gpu = await gpuProfile(ctx, fwdBwd, profiledReps);
  log(`bigru 2-layer dropout+lengths forward+backward (training): ${fmtMs(t.msPerRep)}, ${fmt(tokens / (t.msPerRep / 1000))} valid tokens/s, ` +
    `${dispatches} dispatches (${fmt(dispatches / T)} per time step)`, {
    name: 'bigru2 dropout lengths fwd+bwd', value: t.msPerRep, unit: 'ms', ...size, numLayers, dropout, tokens, dispatches,
    dispatchesPerStep: dispatches / T, tokensPerSecond: tokens / (t.msPerRep / 1000), encodeMs: t.encodeMsPerRep,
    gpuBusyMs: gpu?.busyMsPerRep, gpuKernels: gpu?.kernels,
  });
  log(`  ${describeBound(t, gpu)}`);

  gru.eval();
  let evalDispatches = 0;
  const te = await timeBatches(ctx, (reps) => {
    for (let r = 0; r < reps; r++) {
      const d0 = ctx.dispatchCount;
      const [out, hN] = wr.noGrad(() => gru.forward(x, null, { lengths }) as [Tensor, Tensor]);
      evalDispatches = ctx.dispatchCount - d0;
      out.dispose();
      hN.dispose();
      ctx.flush();
    }
  }, timing);
  log(`bigru 2-layer lengths forward only (eval, noGrad): ${fmtMs(te.msPerRep)}, ${evalDispatches} dispatches ` +
    `(${fmt(evalDispatches / T)} per time step)`, {
    name: 'bigru2 lengths eval fwd', value: te.msPerRep, unit: 'ms', ...size, numLayers, tokens, dispatches: evalDispatches,
    dispatchesPerStep: evalDispatches / T,
  });
  for (const p of [x, dOut, ...gru.parameters()]) p.dispose();
}
