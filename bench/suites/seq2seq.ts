// wr.seq2seq at the size (B 64, source and target ~10 tokens, 2 layers, 256 units, attention; vocabularies
// of CMUdict's 31 graphemes and 43 phonemes): a teacher-forced training step (forward, cross entropy ignoring pad,
// backward, clipping, Adam) and a batched beam-search decode (beam 5, one read-back), with dispatches per step.
// On a CPU-emulated adapter the sizes are scaled down (named in every line).
import { fmt, fmtMs, timeBatches, type Context, type Log, type WR } from '../harness.js';

export async function run(wr: WR, ctx: Context, log: Log): Promise<void> {
  const forceFull = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.WEBRNN_BENCH_SIZE === 'textbook';
  const software = ctx.softwareAdapter && !forceFull;
  const size = software ? { B: 8, S: 10, T: 10, H: 32, E: 16, L: 2 } : { B: 64, S: 10, T: 10, H: 256, E: 128, L: 2 };
  const { B, S, T, H, E, L } = size;
  const sizeName = `B=${B} S=${S} T=${T} H=${H} E=${E} layers=${L} attention${software ? ' (scaled down for a software adapter)' : ''}`;
  log(`size: ${sizeName}`);
  const timing = ctx.softwareAdapter ? { batches: 3, reps: 1 } : { batches: 7, minBatchMs: 200 };
  const srcV = 31, tgtV = 43, pad = wr.data.G2P_IDS.pad;
  const model = new wr.seq2seq.Seq2Seq(ctx, { srcVocabSize: srcV, tgtVocabSize: tgtV, embedSize: E, hiddenSize: H, numLayers: L, attention: true, seed: 1 });
  const opt = new wr.optim.Adam(model.parameters(), { lr: 1e-3 });
  const src = Int32Array.from({ length: B * S }, (_, i) => 4 + ((i * 7919) % (srcV - 4)));
  const lens = Int32Array.from({ length: B }, (_, b) => S - (b % 3));
  for (let b = 0; b < B; b++) for (let s = lens[b]; s < S; s++) src[b * S + s] = pad;
  const target = Int32Array.from({ length: B * T }, (_, i) => 4 + ((i * 104729) % (tgtV - 4)));
  const decIn = Int32Array.from({ length: B * T }, (_, i) => (i % T === 0 ? wr.data.G2P_IDS.bos : target[i - 1]));
  const batch = { B, S, T, src, srcValidLens: lens, decIn, target };
  let dispatches = 0;
  const t = await timeBatches(ctx, (reps) => {
    for (let r = 0; r < reps; r++) {
      const d0 = ctx.dispatchCount;
      wr.seq2seq.seq2seqStep(model, opt, batch, { pad, clip: 1 }).dispose();
      dispatches = ctx.dispatchCount - d0;
      ctx.flush();
    }
  }, timing);
  log(`seq2seq training step: ${fmtMs(t.msPerRep)}, ${fmt((B * T) / (t.msPerRep / 1000))} target tokens/s, ${dispatches} dispatches ` +
    `(${fmt(dispatches / T)} per target step, encoder, loss and Adam included)`, {
    name: 'seq2seq train step', value: t.msPerRep, unit: 'ms', ...size, dispatches, encodeMs: t.encodeMsPerRep,
  });

  const beamSize = 5, maxLen = T;
  const srcT = ctx.tensor(src, [B, S], 'int32');
  let decodeDispatches = 0;
  const samples: number[] = [];
  for (let i = 0; i < (ctx.softwareAdapter ? 3 : 8); i++) {
    await ctx.sync();
    const d0 = ctx.dispatchCount;
    const t0 = performance.now();
    await model.generate(srcT, lens, { bos: wr.data.G2P_IDS.bos, eos: wr.data.G2P_IDS.eos, maxLen, beamSize });
    if (i > 0) samples.push(performance.now() - t0); // the first compiles the pipelines
    decodeDispatches = ctx.dispatchCount - d0;
  }
  const ms = [...samples].sort((a, b) => a - b)[samples.length >> 1];
  log(`seq2seq beam search (beam ${beamSize}, ${maxLen} tokens, ${B} rows, one read-back): ${fmtMs(ms)} per call, ` +
    `${decodeDispatches} dispatches (${fmt(decodeDispatches / maxLen)} per token)`, {
    name: 'seq2seq beam decode', value: ms, unit: 'ms', ...size, beamSize, maxLen, dispatches: decodeDispatches,
  });
  srcT.dispose();
  for (const p of model.parameters()) p.dispose();
}
