/**
 * Seeded PRNG (mulberry32): tiny, fast, and good enough for shuffling and sampling.
 * Returns a function yielding floats in [0, 1). The seed is taken modulo 2^32;
 * without one, a seed is drawn from Math.random.
 */
export function makeRng(seed?: number): () => number {
  if (seed !== undefined && !Number.isFinite(seed)) {
    throw new RangeError(`seed must be a finite number, got ${seed}`);
  }
  let state = seed === undefined ? Math.floor(Math.random() * 2 ** 32) >>> 0 : Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** In-place Fisher-Yates shuffle (the algorithm behind Python's random.shuffle). */
export function shuffleInPlace<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
