// Shared by the bench's Node and browser entries and its suites: suite discovery, adapter naming, timing.
// Everything here runs in both places, so it uses no Node or DOM APIs beyond performance.now().
import type * as webrnn from '../src/index.js';
import { describeAdapter as adapterName } from '../src/core/device.js';

export type WR = typeof webrnn;
export type Context = webrnn.Context;

/** One figure a suite measured; `log` prints the line and keeps the record (for --json). */
export interface BenchRecord {
  suite?: string;
  name: string;
  value: number;
  unit: string;
  [extra: string]: unknown;
}
export type Log = (line: string, record?: BenchRecord) => void;

/** A bench section: bench/suites/<name>.ts exporting `run`. Files are picked up by name, in name order. */
export interface Suite {
  name: string;
  run: (wr: WR, ctx: Context, log: Log) => Promise<void>;
}

const modules = import.meta.glob<{ run: Suite['run'] }>('./suites/*.ts', { eager: true });
export const suites: Suite[] = Object.keys(modules)
  .sort()
  .map((path) => ({ name: path.replace(/^.*\/|\.ts$/g, ''), run: modules[path].run }));

// ---- the adapter --------------------------------------------------------------------------------------------

/** "vendor / architecture / device / description" from adapter.info (the library's describeAdapter). */
export function describeAdapter(info: GPUAdapterInfo | null): string {
  if (!info) return 'unknown adapter (no adapter info)';
  return adapterName(info) || 'unknown adapter (adapter info is empty)';
}

// ---- timing -------------------------------------------------------------------------------------------------

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Has the allocator merge its free lists now rather than inside the next timed region: one 64 KiB allocation
 * (glibc consolidates its fast bins on any request of 1 KiB or more; under the mmap threshold, so it takes that
 * path). Harmless where the allocator is another (a browser's).
 */
export function settleAllocator(): void {
  new Uint8Array(64 * 1024)[0] = 1;
}

export interface TimingOptions {
  /** Batches timed after calibration; the median is reported. */
  batches?: number;
  /** Calibration grows the repetitions per batch until one batch takes at least this long. */
  minBatchMs?: number;
  /** Fixed repetitions per batch (no calibration). */
  reps?: number;
  maxReps?: number;
}

export interface Timing {
  /** Median milliseconds per repetition. */
  msPerRep: number;
  /** Median milliseconds per batch. */
  msPerBatch: number;
  reps: number;
  batches: number;
  /** Per-repetition milliseconds of every batch. */
  samples: number[];
  /** Median milliseconds per repetition spent in `encode` itself: the CPU side (JS, encoding, submits). When it
   *  is close to msPerRep, the CPU bounds the work; the GPU may run ahead of it meanwhile. */
  encodeMsPerRep: number;
}

/**
 * Times `encode(reps)`, which encodes (and may submit) `reps` repetitions of some GPU work: each batch starts on an
 * idle queue and ends when ctx.sync() (flush + queue.onSubmittedWorkDone) resolves, so a batch's wall time covers
 * encoding, submission and execution. A first batch warms up (pipeline compilation, bind-group caches).
 */
export async function timeBatches(ctx: Context, encode: (reps: number) => void, options: TimingOptions = {}): Promise<Timing> {
  const batches = options.batches ?? 5;
  const minBatchMs = options.minBatchMs ?? 100;
  const maxReps = options.maxReps ?? 4096;
  let encodeMs = 0;
  const batch = async (reps: number): Promise<number> => {
    await ctx.sync();
    const t0 = performance.now();
    encode(reps);
    encodeMs = performance.now() - t0;
    await ctx.sync();
    return performance.now() - t0;
  };
  let reps = options.reps ?? 1;
  await batch(reps); // warm-up
  if (options.reps === undefined) {
    for (;;) {
      const ms = await batch(reps);
      if (ms >= minBatchMs || reps >= maxReps) break;
      // Aim a little past the target; at least double while the batch is too short to measure.
      const grow = ms > 0 ? Math.ceil((reps * minBatchMs * 1.2) / ms) : reps * 8;
      reps = Math.min(maxReps, Math.max(reps * 2, grow));
    }
  }
  const samples: number[] = [];
  const totals: number[] = [];
  const encodes: number[] = [];
  for (let i = 0; i < batches; i++) {
    const ms = await batch(reps);
    totals.push(ms);
    samples.push(ms / reps);
    encodes.push(encodeMs / reps);
  }
  return { msPerRep: median(samples), msPerBatch: median(totals), reps, batches, samples, encodeMsPerRep: median(encodes) };
}

/** GPU time per repetition from timestamp queries (null where the device has no 'timestamp-query'). */
export interface GpuProfile {
  /** Busy time of the passes per repetition (one pass per submit: the dispatches and the gaps between them). */
  busyMsPerRep: number;
  /** Per kernel, each dispatch timed in a pass of its own: milliseconds and dispatches per repetition. */
  kernels: { label: string; msPerRep: number; countPerRep: number }[];
}

/** Times `reps` repetitions of `encode` on the GPU twice: whole passes, then every dispatch on its own. */
export async function gpuProfile(ctx: Context, encode: (reps: number) => void, reps: number): Promise<GpuProfile | null> {
  if (!ctx.device.features.has('timestamp-query')) return null;
  await ctx.sync();
  ctx.startGpuTimer();
  encode(reps);
  const passes = await ctx.stopGpuTimer();
  ctx.startGpuTimer({ perDispatch: true });
  encode(reps);
  const perDispatch = await ctx.stopGpuTimer();
  return {
    busyMsPerRep: passes.totalMs / reps,
    kernels: perDispatch.byKernel.map((k) => ({ label: k.label, msPerRep: k.ms / reps, countPerRep: k.count / reps })),
  };
}

/** Where the time of one repetition goes: wall, GPU busy, CPU encode, and the kernels that cost most. */
export function describeBound(t: Timing, gpu: GpuProfile | null, topKernels = 4): string {
  const wall = t.msPerRep;
  const cpu = `CPU encode ${fmtMs(t.encodeMsPerRep)} (${fmt((100 * t.encodeMsPerRep) / wall, 2)}% of wall)`;
  if (!gpu) return `${cpu}; GPU time unknown (no 'timestamp-query' on this adapter)`;
  const busy = `GPU busy ${fmtMs(gpu.busyMsPerRep)} (${fmt((100 * gpu.busyMsPerRep) / wall, 2)}%)`;
  const verdict = gpu.busyMsPerRep >= 0.8 * wall ? 'GPU-bound' : t.encodeMsPerRep >= 0.8 * wall ? 'CPU-bound (encoding)' : 'neither saturated';
  // Variants of one entry point (override constants) are summed: 'file.wgsl:entry'.
  const entries = new Map<string, { ms: number; count: number }>();
  for (const k of gpu.kernels) {
    const name = k.label.replace(/\{.*\}$/, '');
    const e = entries.get(name) ?? { ms: 0, count: 0 };
    e.ms += k.msPerRep;
    e.count += k.countPerRep;
    entries.set(name, e);
  }
  const top = [...entries]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, topKernels)
    .map(([name, e]) => `${name} ${fmt(e.count)}× ${fmtMs(e.ms)}`)
    .join(', ');
  return `${verdict}: ${busy}, ${cpu}; kernels timed alone: ${top}`;
}

/** A number with `digits` significant digits, no exponent for ordinary magnitudes. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(x)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return x.toFixed(Math.min(decimals, 6));
}

/** Microseconds, milliseconds or seconds, whichever reads best. */
export function fmtMs(ms: number): string {
  if (ms < 1) return `${fmt(ms * 1000)} µs`;
  if (ms < 1000) return `${fmt(ms)} ms`;
  return `${fmt(ms / 1000)} s`;
}

// ---- running ------------------------------------------------------------------------------------------------

export interface RunOptions {
  /** Suite names to run (all when empty). */
  only?: readonly string[];
  /** Printed in the header, e.g. "Node v20.20.2 (Dawn, 'webgpu' package)". */
  runtime: string;
}

/** Runs the selected suites on one context; a failing suite is reported and the rest still run. */
export async function runSuites(wr: WR, ctx: Context, log: Log, options: RunOptions): Promise<{ failed: string[] }> {
  const selected = options.only?.length ? suites.filter((s) => options.only!.includes(s.name)) : suites;
  const unknown = (options.only ?? []).filter((n) => !suites.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown bench suite(s): ${unknown.join(', ')} (have: ${suites.map((s) => s.name).join(', ')})`);
  log(`runtime: ${options.runtime}`);
  log(`adapter: ${describeAdapter(ctx.adapterInfo)}${ctx.softwareAdapter ? '  [software adapter: small sizes]' : ''}`);
  const failed: string[] = [];
  for (const suite of selected) {
    log(`-- ${suite.name}`);
    const t0 = performance.now();
    const suiteLog: Log = (line, record) => log(`   ${line}`, record && { suite: suite.name, ...record });
    try {
      await suite.run(wr, ctx, suiteLog);
    } catch (e) {
      failed.push(suite.name);
      log(`   FAILED: ${(e as Error)?.stack ?? e}`);
      try {
        await ctx.sync();
      } catch {
        // the suite's error is the one reported
      }
    }
    log(`   (${suite.name}: ${fmtMs(performance.now() - t0)})`);
  }
  return { failed };
}
