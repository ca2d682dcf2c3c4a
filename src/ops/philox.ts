// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011; the generator of
// Random123 and of PyTorch's CUDA dropout), in TypeScript: the CPU twin of philox4x32_10 in
// shaders/dropout.wgsl, so a test (or a user) can rebuild any dropout mask from its seed and offset.
import type { Context } from '../core/context.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** The high 32 bits of the 64-bit product a·b (a, b u32), from 16-bit halves as the WGSL does it. */
function mulhi(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p01 = a0 * b1, p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

/** Philox4x32 with 10 rounds: four u32 words from a 128-bit counter and a 64-bit key. */
export function philox4x32(counter: readonly number[], key: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let [k0, k1] = key.map((v) => v >>> 0);
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return [c0, c1, c2, c3];
}

/** PyTorch's default seed (torch.initial_seed() of a fresh process), so a run is reproducible by default. */
export const DEFAULT_SEED = 67280421310721;

/** One draw of the generator: the key and stream every element of one dropout call derives its bits from. */
export interface PhiloxDraw {
  seed: number;
  offset: number;
}

/**
 * A counter-based random stream (torch.Generator's role for dropout). Each call that needs random bits takes
 * one offset; element i of that call gets word i % 4 of philox4x32(counter = [i / 4, 0, offset_lo, offset_hi],
 * key = [seed_lo, seed_hi]). So masks depend only on (seed, offset, i): reproducible, and rebuildable on the CPU.
 */
export class Generator {
  private _seed = DEFAULT_SEED;
  /** Draws taken since the last manualSeed (the next call's offset). */
  offset = 0;

  constructor(seed: number = DEFAULT_SEED) {
    this.manualSeed(seed);
  }

  get seed(): number {
    return this._seed;
  }

  /** Restarts the stream from `seed` (an integer in [0, 2^53)); returns this. */
  manualSeed(seed: number): this {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`manualSeed: the seed must be an integer in [0, 2^53), got ${String(seed)}`);
    }
    this._seed = seed;
    this.offset = 0;
    return this;
  }

  /** Takes the next offset. */
  next(): PhiloxDraw {
    return { seed: this._seed, offset: this.offset++ };
  }
}

/** A u64 below 2^53 as [lo, hi] u32 words. */
export function splitU64(v: number): [number, number] {
  return [v % 0x100000000, Math.floor(v / 0x100000000)];
}

/** The u32 random word element i of a draw gets (what the kernel compares against the drop threshold). */
export function randomWords(draw: PhiloxDraw, n: number): Uint32Array {
  const key = splitU64(draw.seed);
  const [offLo, offHi] = splitU64(draw.offset);
  const out = new Uint32Array(n);
  for (let block = 0; block * 4 < n; block++) {
    const words = philox4x32([block, 0, offLo, offHi], key);
    for (let j = 0; j < 4 && block * 4 + j < n; j++) out[block * 4 + j] = words[j];
  }
  return out;
}

const defaults = new WeakMap<Context, Generator>();

/** The context's default generator (torch's default generator): seeded with DEFAULT_SEED until manualSeed. */
export function defaultGenerator(ctx: Context): Generator {
  let g = defaults.get(ctx);
  if (!g) {
    g = new Generator();
    defaults.set(ctx, g);
  }
  return g;
}

/** Seeds the context's default generator (torch.manual_seed): every dropout without its own seed draws from it. */
export function manualSeed(ctx: Context, seed: number): Generator {
  return defaultGenerator(ctx).manualSeed(seed);
}
