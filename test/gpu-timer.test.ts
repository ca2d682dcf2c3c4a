// Context.startGpuTimer / stopGpuTimer: GPU time from timestamp queries, per pass or per dispatch (by kernel).
// The bench uses it to say whether a training step is bound by the GPU or by the CPU encoding it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { randomArray, testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => {
  ctx = await testContext({ requiredFeatures: ['timestamp-query'] });
  ctx.poisonUninitialized = false; // the dispatches counted here are the ops' own
});
afterAll(() => ctx?.destroy());

describe('GPU timer', () => {
  it('attributes each dispatch to its kernel, within the wall time', async () => {
    const n = 192;
    const a = ctx.tensor(randomArray(n * n, 1), [n, n]);
    const b = ctx.tensor(randomArray(n * n, 2), [n, n]);
    const small = ctx.zeros([4]);
    await ctx.sync();
    const d0 = ctx.dispatchCount;
    const t0 = performance.now();
    ctx.startGpuTimer({ perDispatch: true });
    const c = wr.ops.matmul(a, b);
    for (let i = 0; i < 3; i++) wr.ops.fill(small, i);
    const times = await ctx.stopGpuTimer();
    const wallMs = performance.now() - t0;
    const dispatched = ctx.dispatchCount - d0;

    expect(times.passes).toBe(dispatched);
    const labels = times.byKernel.map((k) => k.label);
    const matmul = times.byKernel.find((k) => k.label.startsWith('matmul.wgsl:'));
    const fill = times.byKernel.find((k) => k.label === 'elementwise.wgsl:fill');
    expect(matmul, labels.join(' | ')).toBeDefined();
    expect(fill?.count, labels.join(' | ')).toBe(3);
    expect(times.byKernel.reduce((s, k) => s + k.count, 0)).toBe(dispatched);
    expect(times.byKernel.reduce((s, k) => s + k.ms, 0)).toBeCloseTo(times.totalMs, 9);
    // Only what timestamps guarantee: durations are never negative and fit in the wall time. (They may read 0:
    // implementations round timestamps, and a fast GPU finishes a small dispatch within one tick.)
    for (const k of times.byKernel) expect(k.ms, k.label).toBeGreaterThanOrEqual(0);
    expect(times.totalMs).toBeLessThanOrEqual(wallMs);
    for (const t of [a, b, c, small]) t.dispose();
  });

  it('times whole passes (one per submit) past one query set of 1024 pairs', async () => {
    const x = ctx.zeros([16]);
    await ctx.sync();
    ctx.startGpuTimer();
    for (let i = 0; i < 1030; i++) {
      wr.ops.fill(x, i);
      ctx.flush();
    }
    const times = await ctx.stopGpuTimer();
    expect(times.passes).toBe(1030);
    expect(times.byKernel).toEqual([{ label: 'pass', ms: times.totalMs, count: 1030 }]);
    // The timer is gone with stop: work after it is not timed, and a new timer starts clean.
    wr.ops.fill(x, 1);
    ctx.startGpuTimer();
    wr.ops.fill(x, 2);
    expect((await ctx.stopGpuTimer()).passes).toBe(1);
    expect(Array.from((await x.read()) as Float32Array)).toEqual(new Array(16).fill(2));
    x.dispose();
  });

  it('says what is wrong when used out of order or without the feature', async () => {
    await expect(ctx.stopGpuTimer()).rejects.toThrow(/no GPU timer is running/);
    ctx.startGpuTimer();
    expect(() => ctx.startGpuTimer()).toThrow(/already running/);
    await ctx.stopGpuTimer();
    const plain = await testContext();
    try {
      expect(() => plain.startGpuTimer()).toThrow(/no 'timestamp-query' feature.*requiredFeatures/);
    } finally {
      plain.destroy();
    }
    const gpu = (globalThis as { __webrnnTestGpu?: GPU }).__webrnnTestGpu ?? navigator.gpu;
    await expect(wr.init({ gpu, requiredFeatures: ['no-such-feature' as GPUFeatureName] })).rejects.toThrow(/lacks the feature\(s\) no-such-feature/);
    // Optional features come where the adapter has them and are left out quietly where it has not.
    const optional = await testContext({ optionalFeatures: ['timestamp-query', 'no-such-feature' as GPUFeatureName] });
    try {
      expect(optional.device.features.has('timestamp-query')).toBe(true);
      expect(optional.device.features.has('no-such-feature')).toBe(false);
    } finally {
      optional.destroy();
    }
  });
});
