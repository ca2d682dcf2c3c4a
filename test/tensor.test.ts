// Core runtime: tensors (creation, read-back, views, dispose), the buffer pool, init and GPU error reporting.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as wr from '../src/index.js';
import { expectClose, randomArray, testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

describe('tensor round trips', () => {
  it('float32: shapes of 1, primes and more than one workgroup', async () => {
    for (const shape of [[1], [13], [7, 5], [3, 1, 67], [17, 31]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = randomArray(n, n);
      const t = ctx.tensor(data, shape);
      expect(t.shape).toEqual(shape);
      expect(t.dtype).toBe('float32');
      expect(t.numel).toBe(n);
      const back = await t.read();
      expect(back).toBeInstanceOf(Float32Array);
      expect(Array.from(back)).toEqual(Array.from(data));
      t.dispose();
    }
  });

  it('float32 from a number[] and a scalar of shape []', async () => {
    const t = ctx.tensor([1.5, -2, 3.25], [3]);
    expect(Array.from(await t.read())).toEqual([1.5, -2, 3.25]);
    const s = ctx.tensor([42], []);
    expect(s.shape).toEqual([]);
    expect(s.numel).toBe(1);
    expect(Array.from(await s.read())).toEqual([42]);
    t.dispose();
    s.dispose();
  });

  it('int32 from an Int32Array (dtype inferred) and from a number[] with dtype int32', async () => {
    const ids = ctx.tensor(Int32Array.from([0, -1, 2147483647, -2147483648, 7, 11]), [2, 3]);
    expect(ids.dtype).toBe('int32');
    const back = await ids.read();
    expect(back).toBeInstanceOf(Int32Array);
    expect(Array.from(back)).toEqual([0, -1, 2147483647, -2147483648, 7, 11]);
    const fromList = ctx.tensor([3, 1, 4], [3], 'int32');
    expect(fromList.dtype).toBe('int32');
    expect(Array.from(await fromList.read())).toEqual([3, 1, 4]);
    ids.dispose();
    fromList.dispose();
  });

  it('int32 data must be integers', () => {
    expect(() => ctx.tensor([1, 2.5], [2], 'int32')).toThrow(TypeError);
  });

  it('an unknown dtype or an int32 value past 32 bits is rejected, naming it', () => {
    expect(() => ctx.tensor([1, 2], [2], 'int64' as wr.DType)).toThrow(/dtype must be 'float32' or 'int32', got "int64"/);
    expect(() => ctx.tensor([1, 2 ** 31], [2], 'int32')).toThrow(/fit in 32 bits, got 2147483648/);
  });

  it('an empty tensor reads back empty', async () => {
    const t = ctx.tensor(new Float32Array(0), [0, 3]);
    expect(t.numel).toBe(0);
    expect((await t.read()).length).toBe(0);
    t.dispose();
  });

  it('a data length that does not match the shape throws a RangeError naming both', () => {
    expect(() => ctx.tensor([1, 2, 3], [2, 2])).toThrow(RangeError);
    expect(() => ctx.tensor([1, 2, 3], [2, 2])).toThrow(/\b3\b.*\[2, 2\]|\[2, 2\].*\b3\b/);
    expect(() => ctx.tensor(new Int32Array(5), [3], 'int32')).toThrow(/\b5\b.*\[3\]/);
    expect(() => ctx.tensor([1, 2], [2, -1])).toThrow(RangeError);
    expect(() => ctx.tensor([1, 2], [2.5])).toThrow(RangeError);
  });

  it('an op on a disposed tensor throws, and so does reading it', async () => {
    const t = ctx.tensor([1, 2, 3], [3]);
    const u = ctx.tensor([4, 5, 6], [3]);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(() => wr.ops.add(t, u)).toThrow(/disposed/);
    expect(() => wr.ops.tanh(t)).toThrow(/disposed/);
    await expect(t.read()).rejects.toThrow(/disposed/);
    t.dispose(); // a second dispose is a no-op
    u.dispose();
  });
});

describe('views', () => {
  it('reshape and detach share data with the original', async () => {
    const t = ctx.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const r = t.reshape([3, 2]);
    const w = t.reshape([-1]);
    const d = t.detach();
    expect(r.shape).toEqual([3, 2]);
    expect(w.shape).toEqual([6]);
    expect(d.shape).toEqual([2, 3]);
    expect(r.buffer).toBe(t.buffer);
    expect(d.buffer).toBe(t.buffer);
    wr.ops.fill(t, 7);
    expect(Array.from(await r.read())).toEqual([7, 7, 7, 7, 7, 7]);
    expect(Array.from(await d.read())).toEqual([7, 7, 7, 7, 7, 7]);
    wr.ops.fill(d, -1);
    expect(Array.from(await t.read())).toEqual([-1, -1, -1, -1, -1, -1]);
    // The data lives until the last view is disposed.
    t.dispose();
    expect(Array.from(await w.read())).toEqual([-1, -1, -1, -1, -1, -1]);
    for (const v of [r, w, d]) v.dispose();
  });

  it('reshape rejects a size mismatch and negative sizes', () => {
    const t = ctx.tensor([1, 2, 3, 4, 5, 6], [6]);
    expect(() => t.reshape([4, 2])).toThrow(RangeError);
    expect(() => t.reshape([-1, 4])).toThrow(RangeError);
    expect(() => t.reshape([-2, -3])).toThrow(RangeError);
    expect(() => t.reshape([-1, -1])).toThrow(RangeError);
    const r = t.reshape([1, -1, 3]);
    expect(r.shape).toEqual([1, 2, 3]);
    r.dispose();
    t.dispose();
  });

  it('detach keeps int32 ids checkable on the CPU', () => {
    const ids = ctx.tensor(Int32Array.from([1, 2]), [2]);
    const d = ids.detach();
    expect(d.dtype).toBe('int32');
    expect(Array.from(d.cpuData!)).toEqual([1, 2]);
    ids.dispose();
    d.dispose();
  });
});

describe('memory', () => {
  // Counters of a context of their own (on the same device): tensors other tests dropped without dispose()
  // are collected at random times, and must not move these counts.
  let mem: wr.Context;
  beforeAll(async () => { mem = await wr.init({ device: ctx.device }); });
  afterAll(() => mem?.destroy());

  it('liveTensors and liveBuffers return to the baseline after dispose', async () => {
    await mem.sync();
    const before = mem.memoryStats();
    const a = mem.tensor(randomArray(37, 1), [37]);
    const b = mem.tensor(randomArray(37, 2), [37]);
    const sum = wr.ops.add(a, b);
    const c = wr.ops.mul(sum, a);
    const view = c.reshape([37, 1]);
    const mid = mem.memoryStats();
    expect(mid.liveTensors).toBe(before.liveTensors + 5);
    expect(mid.liveBuffers).toBe(before.liveBuffers + 4); // the view shares c's buffer
    await c.read();
    for (const t of [a, b, sum, c]) t.dispose();
    const held = mem.memoryStats();
    expect(held.liveTensors).toBe(before.liveTensors + 1);
    expect(held.liveBuffers).toBe(before.liveBuffers + 1); // the view still holds c's buffer
    view.dispose();
    const after = mem.memoryStats();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBuffers).toBe(before.liveBuffers);
  });

  it('every buffer comes back after a chain of ops and its disposal', async () => {
    await mem.sync();
    const before = mem.memoryStats();
    const a = mem.tensor(randomArray(50, 3), [5, 10]);
    const b = mem.tensor(randomArray(50, 4), [5, 10]);
    const s = wr.ops.add(a, a);
    const m = wr.ops.mul(s, b);
    const t = wr.ops.tanh(m);
    const r = wr.ops.sum(t, 0);
    const n = wr.ops.globalNorm(mem, [a, b, r]);
    await n.read();
    for (const x of [a, b, s, m, t, r, n]) x.dispose();
    const after = mem.memoryStats();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.liveBytes).toBe(before.liveBytes);
  });

  it('a freed buffer is reused by the pool only after a flush', async () => {
    await mem.sync();
    const t = mem.tensor(randomArray(100, 5), [100]);
    const buffer = t.buffer;
    const s0 = mem.memoryStats();
    t.dispose();
    const s1 = mem.memoryStats();
    expect(s1.liveBuffers).toBe(s0.liveBuffers - 1);
    expect(s1.pooledBuffers).toBe(s0.pooledBuffers); // pending until submitted work can no longer use it
    const early = mem.tensor(randomArray(100, 6), [100]);
    expect(early.buffer).not.toBe(buffer);
    const s2 = mem.memoryStats();
    mem.flush();
    const s3 = mem.memoryStats();
    expect(s3.pooledBuffers).toBe(s2.pooledBuffers + 1);
    expect(s3.pooledBytes).toBe(s2.pooledBytes + buffer.size);
    const again = mem.tensor(randomArray(100, 7), [100]);
    expect(again.buffer).toBe(buffer);
    const s4 = mem.memoryStats();
    expect(s4.pooledBuffers).toBe(s3.pooledBuffers - 1);
    expect(s4.liveBuffers).toBe(s3.liveBuffers + 1);
    expect(Array.from(await again.read())).toEqual(Array.from(randomArray(100, 7)));
    early.dispose();
    again.dispose();
  });

  it('the uniform cache stays within its limit, and retired uniforms outlive the commands that bind them', async () => {
    // Params that change every call (a temperature, a generation position) must not add buffers forever.
    const own = await wr.init({ device: ctx.device });
    try {
      own.uniformCacheLimit = 8;
      const x0 = randomArray(300, 11);
      let x = own.tensor(x0, [300]);
      const expected = Float32Array.from(x0);
      // 30 distinct alphas, all in one command buffer: the cache starts over three times while the earlier
      // dispatches, which bind the retired uniforms, are still unsubmitted.
      for (let k = 1; k <= 30; k++) {
        const alpha = 1 + k / 64;
        const next = wr.ops.scale(x, alpha);
        x.dispose();
        x = next;
        for (let i = 0; i < expected.length; i++) expected[i] = Math.fround(expected[i] * Math.fround(alpha));
        expect(own.memoryStats().uniformBuffers).toBeLessThanOrEqual(8);
      }
      expectClose(await x.read(), expected, 0, 1e-6, 'scaled 30 times');
      x.dispose();
      await own.sync();
    } finally {
      own.destroy();
    }
  });

  it('a reused buffer never leaks old data into zeros()', async () => {
    const t = mem.tensor(randomArray(64, 8), [64]);
    t.dispose();
    mem.flush();
    const z = mem.zeros([64]);
    expect(Array.from(await z.read())).toEqual(new Array(64).fill(0));
    z.dispose();
  });
});

describe('init and context', () => {
  it('rejects with WebGPUUnavailableError when there is no adapter, saying what to do', async () => {
    const gpu = { requestAdapter: async () => null } as unknown as GPU;
    const promise = wr.init({ gpu });
    await expect(promise).rejects.toBeInstanceOf(wr.WebGPUUnavailableError);
    const error = (await promise.then(() => null, (e: unknown) => e)) as Error;
    expect(error.name).toBe('WebGPUUnavailableError');
    expect(error.message).toMatch(/adapter/);
    expect(error.message).toMatch(/Chrome/);
    expect(error.message).toMatch(/webgpu/);
  });

  it('without navigator.gpu and no gpu option, init() rejects saying what to do', async () => {
    vi.stubGlobal('navigator', {}); // a browser without WebGPU (and Node, which has no navigator.gpu)
    try {
      await expect(wr.init()).rejects.toThrow(wr.WebGPUUnavailableError);
      await expect(wr.init()).rejects.toThrow(/navigator\.gpu.*create\(\[\]\)/s);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('rejects with WebGPUUnavailableError when requestAdapter throws', async () => {
    const gpu = { requestAdapter: async () => { throw new Error('blocked'); } } as unknown as GPU;
    await expect(wr.init({ gpu })).rejects.toThrow(wr.WebGPUUnavailableError);
    await expect(wr.init({ gpu })).rejects.toThrow(/blocked/);
  });

  it('shares an existing device without destroying it', async () => {
    const shared = await wr.init({ device: ctx.device });
    expect(shared.device).toBe(ctx.device);
    const t = shared.tensor([1, 2], [2]);
    expect(Array.from(await t.read())).toEqual([1, 2]);
    const kept = shared.tensor([5, 6, 7], [3]);
    expect(shared.memoryStats().liveBuffers).toBe(2);
    shared.destroy();
    // Its buffers went with it (live ones too), the shared device stays.
    expect(shared.memoryStats().liveBuffers).toBe(0);
    await expect(kept.read()).rejects.toThrow(/destroyed/);
    expect(() => shared.tensor([1], [1])).toThrow(/destroyed/);
    const u = ctx.tensor([3, 4], [2]);
    expect(Array.from(await u.read())).toEqual([3, 4]);
    u.dispose();
  });

  it('a kernel that fails to compile reports its WGSL file and line', async () => {
    // Its own device: the errors of a broken kernel must not leak into the other tests.
    const own = await testContext();
    try {
      const source = [
        'struct Params { n: u32 }',
        '@group(0) @binding(0) var<uniform> p: Params;',
        'fn broken() -> f32 { return 1.0 + ; }',
        '@compute @workgroup_size(1) fn main() {}',
      ].join('\n');
      own.kernel({ file: 'broken.wgsl', source, entry: 'main' });
      await expect(own.checkErrors()).rejects.toThrow(/broken\.wgsl:3/);
      // Once known broken, dispatching it throws the same error at once.
      const k = own.kernel({ file: 'broken.wgsl', source, entry: 'main' });
      expect(() => own.dispatch(k, [1], {})).toThrow(/broken\.wgsl:3/);
      // Dispatched before the compile check settled, the read that follows names the cause.
      const k2 = own.kernel({ file: 'broken2.wgsl', source, entry: 'main' });
      own.dispatch(k2, [1], {});
      const t = own.tensor([1], [1]);
      await expect(t.read()).rejects.toThrow(/broken2\.wgsl:3/);
    } finally {
      own.destroy();
    }
  });

  it('a missing entry point names the kernel', async () => {
    const own = await testContext();
    try {
      const source = '@compute @workgroup_size(1) fn main() {}\n';
      own.kernel({ file: 'fine.wgsl', source, entry: 'nope' });
      await expect(own.checkErrors()).rejects.toThrow(/fine\.wgsl:nope/);
    } finally {
      own.destroy();
    }
  });

  it('a destroyed context refuses new work', async () => {
    const own = await wr.init({ device: ctx.device });
    own.destroy();
    expect(own.isDestroyed).toBe(true);
    expect(() => own.zeros([2])).toThrow(/destroyed/);
    own.destroy(); // idempotent
  });
});
