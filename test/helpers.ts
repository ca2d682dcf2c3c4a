// Shared by every test: one context per file, CPU references and tolerant comparisons.
import { expect } from 'vitest';
import * as wr from '../src/index.js';

/** A context for one test file. Uninitialised tensors are NaN-filled, so a kernel that skips part of its output
 *  fails its test rather than passing on whatever the pooled buffer held. */
export async function testContext(options: Omit<wr.InitOptions, 'gpu' | 'device'> = {}): Promise<wr.Context> {
  const gpu = (globalThis as { __webrnnTestGpu?: GPU }).__webrnnTestGpu;
  const ctx = await (gpu ? wr.init({ ...options, gpu }) : wr.init(options));
  ctx.poisonUninitialized = true;
  return ctx;
}

/** Deterministic pseudo-random floats in [lo, hi). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = wr.data.makeRng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());
}

/** Asserts |actual - expected| <= atol + rtol·|expected| elementwise, reporting the worst index. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-4, rtol = 1e-4, what = 'values'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    const excess = diff - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(diff))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: index ${worst}: got ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`);
  }
}

/**
 * Central finite differences in float64 of a scalar CPU function f(x) — the reference every GPU gradient is
 * checked against. `f` gets a Float64Array and returns a number.
 */
export function numericGrad(f: (x: Float64Array) => number, x0: ArrayLike<number>, eps = 1e-6): Float64Array {
  const x = Float64Array.from(x0);
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + eps;
    const up = f(x);
    x[i] = keep - eps;
    const down = f(x);
    x[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

/** Σ w·y for a fixed upstream weight w: turns a tensor-valued CPU function into the scalar finite differences need. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
