// The recurrent layers at the textbook's size (token ids over a vocabulary of 1027, hidden 256, batch 32,
// 35 steps, one layer): forward + backward of nn.RNN / nn.GRU / nn.LSTM alone (input gather, fused cell steps,
// weight-gradient matmuls), then a whole training step of the language model (CharRNN forward, cross-entropy,
// backward, clipping, SGD) as the textbook runs it, and 50 greedy characters of generation; then the CPU cost of
// a training step built anew each time against the same step captured and replayed (Context.capture), for 1 and 2
// layers, one and two directions.
// On a CPU-emulated adapter the sizes are scaled down (named in every line); pass the suite's figures with them.
import type { Tensor } from '../../src/index.js';
import { describeBound, fmt, fmtMs, gpuProfile, median, settleAllocator, timeBatches, type Context, type Log, type WR } from '../harness.js';

const CELLS = ['rnn', 'gru', 'lstm'] as const;

export async function run(wr: WR, ctx: Context, log: Log): Promise<void> {
  // WEBRNN_BENCH_SIZE=textbook (Node) keeps the textbook's size on a software adapter too (minutes on SwiftShader).
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const forceTextbook = env?.WEBRNN_BENCH_SIZE === 'textbook';
  const software = ctx.softwareAdapter && !forceTextbook;
  const size = software ? { V: 128, H: 32, B: 8, T: 35 } : { V: 1027, H: 256, B: 32, T: 35 };
  const { V, H, B, T } = size;
  const tokens = B * T;
  const sizeName = `V=${V} H=${H} B=${B} T=${T}${software ? ' (scaled down for a software adapter)' : ' (textbook size)'}`;
  log(`size: ${sizeName}`);
  const timing = ctx.softwareAdapter ? { batches: 3, reps: 1 } : { batches: 7, minBatchMs: 100 };
  // Repetitions timed with timestamp queries (whole passes, then each dispatch alone) to say what bounds a step.
  const profiledReps = ctx.softwareAdapter ? 1 : 20;
  const ids = Int32Array.from({ length: tokens }, (_, i) => (i * 7919) % V);
  // WEBRNN_BENCH_PART=capture runs only the captured-step lines (minutes less on a software adapter); in the
  // browser it comes in the page's query (bench/run.mjs passes it on).
  const part = env?.WEBRNN_BENCH_PART ?? new URLSearchParams(globalThis.location?.search ?? '').get('WEBRNN_BENCH_PART');
  if (part === 'capture') return capturedSteps(wr, ctx, log, size);

  for (const cell of CELLS) {
    // Layer alone: forward + backward from an upstream gradient on the output.
    const Layer = cell === 'rnn' ? wr.nn.RNN : cell === 'gru' ? wr.nn.GRU : wr.nn.LSTM;
    const layer = new Layer(ctx, { inputSize: V, hiddenSize: H, seed: 1 });
    const x = ctx.tensor(ids, [T, B], 'int32');
    const dOut = ctx.tensor(new Float32Array(T * B * H).fill(1e-3), [T, B, H]);
    let dispatches = 0;
    const fwdBwd = (reps: number) => {
      for (let r = 0; r < reps; r++) {
        const d0 = ctx.dispatchCount;
        const [out, state] = layer.forward(x) as [Tensor, Tensor | [Tensor, Tensor]];
        out.backward(dOut);
        dispatches = ctx.dispatchCount - d0;
        out.dispose();
        for (const s of Array.isArray(state) ? state : [state]) s.dispose();
        layer.zeroGrad();
        ctx.flush();
      }
    };
    const t = await timeBatches(ctx, fwdBwd, timing);
    const gpu = await gpuProfile(ctx, fwdBwd, profiledReps);
    // Forward alone (no tape), to split the time between the two directions of BPTT.
    const tf = await timeBatches(ctx, (reps) => {
      for (let r = 0; r < reps; r++) {
        const [out, state] = wr.noGrad(() => layer.forward(x) as [Tensor, Tensor | [Tensor, Tensor]]);
        out.dispose();
        for (const s of Array.isArray(state) ? state : [state]) s.dispose();
        ctx.flush();
      }
    }, timing);
    log(`${cell} layer forward only (noGrad): ${fmtMs(tf.msPerRep)}`, {
      name: `${cell} layer fwd`, value: tf.msPerRep, unit: 'ms', cell, ...size,
    });
    log(`${cell} layer forward+backward: ${fmtMs(t.msPerRep)}, ${fmt(tokens / (t.msPerRep / 1000))} tokens/s, ` +
      `${dispatches} dispatches (${fmt(dispatches / T)} per time step)`, {
      name: `${cell} layer fwd+bwd`, value: t.msPerRep, unit: 'ms', cell, ...size, dispatches, tokensPerSecond: tokens / (t.msPerRep / 1000),
      encodeMs: t.encodeMsPerRep, gpuBusyMs: gpu?.busyMsPerRep, gpuKernels: gpu?.kernels,
    });
    log(`  ${describeBound(t, gpu)}`);
    for (const p of [x, dOut]) p.dispose();
    for (const p of layer.parameters()) p.dispose();
  }

  for (const cell of CELLS) {
    // The textbook's training step: forward, mean cross-entropy, BPTT, clipping to 0.01, SGD; one command buffer.
    const model = new wr.lm.CharRNN(ctx, { vocabSize: V, hiddenSize: H, cell, seed: 1 });
    const params = model.parameters();
    const opt = new wr.optim.SGD(params, { lr: 1 });
    const X = ctx.tensor(ids, [B, T], 'int32');
    const Y = ctx.tensor(Int32Array.from(ids, (v) => (v + 1) % V), [T * B], 'int32');
    let dispatches = 0;
    const trainingSteps = (reps: number) => {
      for (let r = 0; r < reps; r++) {
        const d0 = ctx.dispatchCount;
        const [logits, state] = model.forward(X);
        const loss = wr.nn.functional.crossEntropy(logits, Y);
        opt.zeroGrad();
        loss.backward();
        const norm = wr.nn.utils.clipGradNorm(params, 0.01);
        opt.step();
        dispatches = ctx.dispatchCount - d0;
        for (const s of [logits, loss, norm, ...(Array.isArray(state) ? state : [state])]) s.dispose();
      }
    };
    const t = await timeBatches(ctx, trainingSteps, timing);
    const gpu = await gpuProfile(ctx, trainingSteps, profiledReps);
    log(`${cell} training step (forward, loss, backward, clip, SGD): ${fmtMs(t.msPerRep)}, ` +
      `${fmt(tokens / (t.msPerRep / 1000))} tokens/s, ${dispatches} dispatches in one command buffer`, {
      name: `${cell} training step`, value: t.msPerRep, unit: 'ms', cell, ...size, dispatches, tokensPerSecond: tokens / (t.msPerRep / 1000),
      encodeMs: t.encodeMsPerRep, gpuBusyMs: gpu?.busyMsPerRep, gpuKernels: gpu?.kernels,
    });
    log(`  ${describeBound(t, gpu)}`);

    // Generation: warm up on a 2-character prefix, then 50 greedy characters, read back once.
    const vocab = new wr.data.Vocab(Array.from({ length: V }, (_, i) => String.fromCodePoint(0x4e00 + i)));
    const prefix = vocab.decode([1, 2]);
    await model.predict(prefix, 50, vocab); // warm-up (pipelines)
    const runs: number[] = [];
    for (let i = 0; i < (ctx.softwareAdapter ? 3 : 9); i++) {
      const t0 = performance.now();
      await model.predict(prefix, 50, vocab);
      runs.push(performance.now() - t0);
    }
    const uncapturedRuns: number[] = [];
    for (let i = 0; i < runs.length; i++) {
      const t0 = performance.now();
      await model.predict(prefix, 50, vocab, { capture: false });
      uncapturedRuns.push(performance.now() - t0);
    }
    log(`${cell} generation, 50 greedy characters after a 2-character prefix: ${fmtMs(median(runs))} (median of ${runs.length}; ` +
      `${fmtMs(median(uncapturedRuns))} with every step built anew)`, {
      name: `${cell} generate 50`, value: median(runs), unit: 'ms', cell, ...size, uncapturedMs: median(uncapturedRuns),
    });
    opt.zeroGrad();
    for (const p of [X, Y, ...params]) p.dispose();
  }

  await capturedSteps(wr, ctx, log, size);
}

/**
 * CPU time of `encodeOne` (one step, submitted), each repetition started on an idle queue so that the GPU neither
 * holds back the submit nor shares the CPU while it is timed: the fastest repetition (what the work costs when
 * nothing else wants the CPU) and the median. The first 3 runs warm up (pipelines, caches, a captured step's
 * recording runs), and the bind groups they create are left out of the count returned.
 * Before each repetition the allocator's free lists are consolidated (settleAllocator): in Node, waiting for the
 * GPU leaves thousands of small blocks freed by Dawn's binding (a function object per event-loop tick while a GPU
 * promise is pending), and glibc merges them on the next request of 1 KiB or more, whoever makes it; that request
 * came inside the timed step (Dawn's beginComputePass, or a typed array) and billed it 3-10 ms (perf, 2-core machine).
 */
async function encodeTime(ctx: Context, encodeOne: () => void, reps: number): Promise<{ min: number; median: number; groupsAfterWarmup: number }> {
  const samples: number[] = [];
  let groups = 0;
  for (let i = 0; i < reps + 3; i++) {
    await ctx.sync();
    if (i === 3) groups = ctx.bindGroupCount;
    settleAllocator();
    const t0 = performance.now();
    encodeOne();
    const ms = performance.now() - t0;
    if (i >= 3) samples.push(ms);
  }
  await ctx.sync();
  return { min: Math.min(...samples), median: median(samples), groupsAfterWarmup: ctx.bindGroupCount - groups };
}

/**
 * CPU encode time of one training step (a recurrent layer over token ids, a dense layer, cross-entropy, BPTT,
 * clipping, SGD, the batch written from the CPU) built anew — tape, allocation, bind groups — and the same step
 * captured and replayed, in the same run; dispatches per step of each (they must be equal).
 */
async function capturedSteps(wr: WR, ctx: Context, log: Log, size: { V: number; H: number; B: number; T: number }): Promise<void> {
  const { V, H, B, T } = size;
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % V);
  const targets = Int32Array.from(ids, (v) => (v + 1) % V);
  const reps = ctx.softwareAdapter ? 25 : 51;
  const configs: [(typeof CELLS)[number], number, boolean][] = [
    ['rnn', 1, false], ['gru', 1, false], ['lstm', 1, false], ['lstm', 2, false], ['lstm', 1, true], ['lstm', 2, true],
  ];
  for (const [cell, numLayers, bidirectional] of configs) {
    const Layer = cell === 'rnn' ? wr.nn.RNN : cell === 'gru' ? wr.nn.GRU : wr.nn.LSTM;
    const layer = new Layer(ctx, { inputSize: V, hiddenSize: H, numLayers, bidirectional, seed: 1 });
    const D = bidirectional ? 2 : 1;
    const dense = new wr.nn.Linear(ctx, { inFeatures: D * H, outFeatures: V, seed: 2 });
    const params = [...layer.parameters(), ...dense.parameters()];
    const opt = new wr.optim.SGD(params, { lr: 0.1 });
    const x = ctx.tensor(ids, [T, B], 'int32');
    const y = ctx.tensor(targets, [T * B], 'int32');
    const stepFn = (): Tensor => {
      const [out, state] = layer.forward(x) as [Tensor, Tensor | [Tensor, Tensor]];
      const flat = out.reshape([T * B, D * H]);
      const logits = dense.forward(flat);
      const loss = wr.nn.functional.crossEntropy(logits, y);
      opt.zeroGrad();
      loss.backward();
      const norm = wr.nn.utils.clipGradNorm(params, 0.01);
      opt.step();
      for (const t of [out, flat, logits, norm, ...(Array.isArray(state) ? state : [state])]) t.dispose();
      return loss;
    };
    let uncapturedDispatches = 0;
    const uncaptured = await encodeTime(ctx, () => {
      ctx.writeBuffer(x.buffer, 0, ids, true); // as train() writes each batch (the last step's reads are submitted)
      ctx.writeBuffer(y.buffer, 0, targets, true);
      const d0 = ctx.dispatchCount;
      stepFn().dispose();
      uncapturedDispatches = ctx.dispatchCount - d0;
    }, reps);
    const step = ctx.capture(stepFn, { inputs: { x, y } });
    let capturedDispatches = 0;
    const captured = await encodeTime(ctx, () => {
      const d0 = ctx.dispatchCount;
      step.run({ x: ids, y: targets });
      ctx.flush();
      capturedDispatches = ctx.dispatchCount - d0;
    }, reps);
    const groupsCreated = captured.groupsAfterWarmup;
    const name = `${cell} ${numLayers} layer${numLayers > 1 ? 's' : ''} ${bidirectional ? 'bidirectional' : 'unidirectional'}`;
    const ratio = captured.median / uncaptured.median;
    log(`${name} training step, CPU time per step (median of ${reps} on an idle GPU; fastest): uncaptured ${fmtMs(uncaptured.median)} ` +
      `(${fmtMs(uncaptured.min)}), captured ${fmtMs(captured.median)} (${fmtMs(captured.min)}): ${fmt(100 * ratio, 2)}% ` +
      `(${fmt((100 * captured.min) / uncaptured.min, 2)}% of the fastest); ${uncapturedDispatches} dispatches uncaptured, ${capturedDispatches} replayed` +
      `${groupsCreated ? `, ${groupsCreated} bind groups created by replays (expected 0)` : ''}`, {
      name: `${cell} L${numLayers} D${D} step encode`, value: captured.median, unit: 'ms', cell, numLayers, bidirectional, ...size,
      uncapturedEncodeMs: uncaptured.median, capturedEncodeMs: captured.median, uncapturedFastestMs: uncaptured.min,
      capturedFastestMs: captured.min, ratio, uncapturedDispatches, capturedDispatches,
    });
    step.dispose();
    opt.dispose();
    for (const p of [x, y, ...params]) p.dispose();
  }
}
