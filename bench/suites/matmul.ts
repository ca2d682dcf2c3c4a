// Matmul throughput: out = A·B for square n×n matrices with wr.ops.matmulInto (the kernel every layer uses),
// repeated into one output inside one command buffer. GFLOP/s counts 2·n³ flops per product.
import { fmt, fmtMs, timeBatches, type Context, type Log, type WR } from '../harness.js';

export async function run(wr: WR, ctx: Context, log: Log): Promise<void> {
  const software = ctx.softwareAdapter;
  // SwiftShader does a few GFLOP/s on two cores: keep the whole suite well under a minute there.
  const sizes = software ? [64, 128, 256] : [256, 512, 1024, 2048];
  const minBatchMs = software ? 150 : 100;

  await checkCorrectness(wr, ctx, log);

  for (const n of sizes) {
    const a = ctx.tensor(randomMatrix(n * n, n), [n, n]);
    const b = ctx.tensor(randomMatrix(n * n, n + 1), [n, n]);
    const out = ctx.empty([n, n], 'float32', 'bench-out');
    const t = await timeBatches(ctx, (reps) => {
      for (let r = 0; r < reps; r++) wr.ops.matmulInto(out, a, b, n, n, n);
    }, { minBatchMs });
    const gflops = (2 * n * n * n) / (t.msPerRep * 1e6);
    log(`${n}×${n}×${n}: ${fmt(gflops)} GFLOP/s  (${fmtMs(t.msPerRep)} per product; median of ${t.batches} batches × ${t.reps})`, {
      name: `matmul ${n}`,
      value: gflops,
      unit: 'GFLOP/s',
      n,
      msPerProduct: t.msPerRep,
      reps: t.reps,
      batches: t.batches,
    });
    a.dispose();
    b.dispose();
    out.dispose();
  }
}

/** A bench of a wrong kernel measures nothing: check one product (with the tape-recording op) against the CPU. */
async function checkCorrectness(wr: WR, ctx: Context, log: Log): Promise<void> {
  const [M, K, N] = [37, 70, 65]; // not multiples of the tile: edges included
  const a = randomMatrix(M * K, 1);
  const b = randomMatrix(K * N, 2);
  const ta = ctx.tensor(a, [M, K]);
  const tb = ctx.tensor(b, [K, N]);
  const tc = wr.ops.matmul(ta, tb);
  const got = await tc.read();
  let worst = 0;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
      worst = Math.max(worst, Math.abs(got[i * N + j] - s));
    }
  }
  for (const t of [ta, tb, tc]) t.dispose();
  if (!(worst < 1e-3)) throw new Error(`matmul ${M}×${K}·${K}×${N} differs from the CPU by ${worst}`);
  log(`check: ${M}×${K}·${K}×${N} matches the CPU (max |error| ${worst.toExponential(1)})`);
}

/** Deterministic values in [-1, 1) (a small LCG: the bench needs no statistical quality). */
function randomMatrix(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}
