// The fixed cost of one dispatch: N tiny dispatches (one workgroup each, through Context.dispatch with its cached
// pipelines, uniforms and bind groups) in one command buffer, then the same with a submit (ctx.flush()) after
// each, then one dispatch submitted and waited for. An RNN step is a handful of small dispatches per time step,
// so this bounds how fast short sequences can run.
import { fmtMs, median, timeBatches, type Context, type Log, type WR } from '../harness.js';

export async function run(wr: WR, ctx: Context, log: Log): Promise<void> {
  const software = ctx.softwareAdapter;
  const small = ctx.zeros([64], 'float32', 'bench-fill');
  const ma = ctx.tensor(new Float32Array(64).fill(0.5), [8, 8]);
  const mOut = ctx.empty([8, 8], 'float32', 'bench-mm');

  const fill = () => ctx.fillBuffer(small.buffer, 1, 64);
  const cases: { name: string; what: string; encode: () => void; submitEach: boolean; n: number }[] = [
    { name: 'fill, one command buffer', what: 'fill of 64 floats', encode: fill, submitEach: false, n: 1000 },
    // A tiled kernel with barriers can take milliseconds on SwiftShader: fewer there.
    { name: 'matmul 8×8, one command buffer', what: '8×8 matmul', encode: () => wr.ops.matmulInto(mOut, ma, ma, 8, 8, 8), submitEach: false, n: software ? 200 : 1000 },
    { name: 'fill, a submit each', what: 'fill + submit', encode: fill, submitEach: true, n: 1000 },
  ];

  for (const c of cases) {
    const N = c.n;
    let dispatches = 0;
    let submits = 0;
    const t = await timeBatches(ctx, () => {
      const d0 = ctx.dispatchCount;
      const s0 = ctx.submitCount;
      for (let i = 0; i < N; i++) {
        c.encode();
        if (c.submitEach) ctx.flush();
      }
      ctx.flush(); // the one command buffer (a no-op after a submit each)
      dispatches = ctx.dispatchCount - d0;
      submits = ctx.submitCount - s0;
    }, { reps: 1, batches: 7 });
    if (dispatches !== N) throw new Error(`${c.name}: expected ${N} dispatches per batch, ctx.dispatchCount says ${dispatches}`);
    const per = t.msPerRep / N;
    const encodePer = t.encodeMsPerRep / N;
    log(`${c.name}: ${fmtMs(per)} per dispatch, of which the CPU encodes ${fmtMs(encodePer)}  ` +
      `(${N} × ${c.what}, ${submits} submit${submits === 1 ? '' : 's'} per batch; median of ${t.batches})`, {
      name: `dispatch: ${c.name}`,
      value: per * 1000,
      unit: 'µs/dispatch',
      n: N,
      submitsPerBatch: submits,
      encodeMicroseconds: encodePer * 1000,
    });
  }

  // Latency: one dispatch submitted, then ctx.sync() (queue.onSubmittedWorkDone) — a read-back-free round trip,
  // 20 in a row per timed batch (browsers coarsen performance.now()).
  const trips = 20;
  const perTrip: number[] = [];
  for (let batch = -1; batch < 7; batch++) {
    await ctx.sync();
    const t0 = performance.now();
    for (let i = 0; i < trips; i++) {
      fill();
      await ctx.sync();
    }
    if (batch >= 0) perTrip.push((performance.now() - t0) / trips); // batch -1 warms up
  }
  const trip = median(perTrip);
  log(`round trip (1 dispatch, submit, wait): ${fmtMs(trip)}  (${trips} in a row; median of ${perTrip.length})`, {
    name: 'dispatch: round trip',
    value: trip * 1000,
    unit: 'µs',
  });

  for (const x of [small, ma, mOut]) x.dispose();
}
