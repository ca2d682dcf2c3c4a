// The tape: PyTorch's semantics for accumulation, several roots, shared inputs, detach, noGrad, retainGraph.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { expectClose, randomArray, testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const N = 13;
const x0 = randomArray(N, 1);
const g0 = randomArray(N, 2);
const g1 = randomArray(N, 3);
const map = (f: (i: number) => number) => Float64Array.from({ length: N }, (_, i) => f(i));

function leaf(data: Float32Array, shape: number[] = [data.length]): wr.Tensor {
  const t = ctx.tensor(data, shape);
  t.requiresGrad = true;
  return t;
}

async function grad(t: wr.Tensor): Promise<Float32Array> {
  expect(t.grad, 'grad was not filled').not.toBeNull();
  expect(t.grad!.shape).toEqual(t.shape);
  return (await t.grad!.read()) as Float32Array;
}

describe('autograd', () => {
  it('requiresGrad on an input tensor fills its .grad; non-leaves keep none', async () => {
    const x = leaf(x0);
    expect(x.isLeaf).toBe(true);
    expect(x.grad).toBeNull();
    const y = wr.ops.mul(x, x);
    expect(y.requiresGrad).toBe(true);
    expect(y.gradFn).not.toBeNull();
    expect(y.isLeaf).toBe(false);
    y.backward(ctx.tensor(g0, [N]));
    expectClose(await grad(x), map((i) => 2 * x0[i] * g0[i]), 1e-6, 1e-6, 'd(x²)');
    expect(y.grad).toBeNull();
  });

  it('gradients accumulate across two backward calls (PyTorch semantics)', async () => {
    const x = leaf(x0);
    const dy = ctx.tensor(g0, [N]);
    wr.ops.scale(x, 3).backward(dy);
    wr.ops.mul(x, x).backward(dy);
    expectClose(await grad(x), map((i) => 3 * g0[i] + 2 * x0[i] * g0[i]), 1e-6, 1e-6, 'accumulated');
    // Until the caller clears it, as zeroGrad does.
    x.grad!.dispose();
    x.grad = null;
    wr.ops.scale(x, 3).backward(dy);
    expectClose(await grad(x), map((i) => 3 * g0[i]), 1e-6, 1e-6, 'after clearing');
  });

  it('out.backward(dOut) from a non-scalar tensor of several dimensions', async () => {
    const x = leaf(x0.subarray(0, 12), [3, 4]);
    const y = wr.ops.tanh(x);
    y.backward(ctx.tensor(g0.subarray(0, 12), [3, 4]));
    expectClose(await grad(x), Float64Array.from({ length: 12 }, (_, i) => (1 - Math.tanh(x0[i]) ** 2) * g0[i]), 1e-5, 1e-5);
  });

  it('wr.autograd.backward with several roots', async () => {
    const x = leaf(x0);
    const w = leaf(g1);
    const a = wr.ops.scale(x, 2);
    const b = wr.ops.mul(x, w);
    wr.autograd.backward([a, b], [ctx.tensor(g0, [N]), ctx.tensor(g1, [N])]);
    expectClose(await grad(x), map((i) => 2 * g0[i] + g1[i] * g1[i]), 1e-6, 1e-6, 'dx');
    expectClose(await grad(w), map((i) => x0[i] * g1[i]), 1e-6, 1e-6, 'dw');
  });

  it('several roots where one depends on the other, and a scalar root without a gradient', async () => {
    const x = leaf(x0);
    const h = wr.ops.tanh(x);
    const out = wr.ops.sum(wr.ops.mul(h, h), 0); // scalar [] = Σ tanh(x)²
    expect(out.shape).toEqual([]);
    wr.autograd.backward([h, out], [ctx.tensor(g0, [N])]);
    const t = (i: number) => Math.tanh(x0[i]);
    expectClose(await grad(x), map((i) => (g0[i] + 2 * t(i)) * (1 - t(i) ** 2)), 1e-5, 1e-5);
  });

  it('a tensor used twice in the graph gets the sum of both paths', async () => {
    const x = leaf(x0);
    const w = ctx.tensor(g1, [N]);
    const y = wr.ops.add(wr.ops.mul(x, w), wr.ops.tanh(x)); // x·w + tanh(x)
    y.backward(ctx.tensor(g0, [N]));
    expectClose(await grad(x), map((i) => g0[i] * (g1[i] + 1 - Math.tanh(x0[i]) ** 2)), 1e-5, 1e-5, 'two paths');
    expect(w.grad).toBeNull();

    const z = leaf(x0);
    wr.ops.add(z, z).backward(ctx.tensor(g0, [N])); // the same tensor twice in one op
    expectClose(await grad(z), map((i) => 2 * g0[i]), 1e-6, 1e-6, 'add(z, z)');
    const u = leaf(x0);
    wr.ops.mul(u, u).backward(ctx.tensor(g0, [N]));
    expectClose(await grad(u), map((i) => 2 * x0[i] * g0[i]), 1e-6, 1e-6, 'mul(u, u)');
  });

  it('detach() stops gradients', async () => {
    const x = leaf(x0);
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    const y = wr.ops.mul(d, x); // only the second operand carries a gradient
    y.backward(ctx.tensor(g0, [N]));
    expectClose(await grad(x), map((i) => x0[i] * g0[i]), 1e-6, 1e-6);
    // Detaching a non-leaf cuts the graph there.
    const x2 = leaf(x0);
    const h = wr.ops.tanh(x2).detach();
    expect(h.requiresGrad).toBe(false);
    const y2 = wr.ops.mul(h, wr.ops.scale(x2, 1));
    y2.backward(ctx.tensor(g0, [N]));
    expectClose(await grad(x2), map((i) => Math.tanh(x0[i]) * g0[i]), 1e-5, 1e-5);
  });

  it('wr.noGrad records nothing', async () => {
    const x = leaf(x0);
    expect(wr.isGradEnabled()).toBe(true);
    const y = wr.noGrad(() => {
      expect(wr.isGradEnabled()).toBe(false);
      return wr.ops.tanh(wr.ops.mul(x, x)).reshape([1, N]);
    });
    expect(wr.isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(() => y.backward(ctx.tensor(g0, [1, N]))).toThrow(/does not require grad/);
    expect(x.grad).toBeNull();
    // Restored even when the body throws; nests.
    expect(() => wr.noGrad(() => { throw new Error('inside'); })).toThrow('inside');
    expect(wr.isGradEnabled()).toBe(true);
    wr.noGrad(() => wr.noGrad(() => 0));
    expect(wr.isGradEnabled()).toBe(true);
  });

  it('a second backward through a freed graph throws a clear error; retainGraph keeps it', async () => {
    const x = leaf(x0);
    const loss = wr.ops.sum(wr.ops.tanh(x), 0);
    loss.backward();
    expect(() => loss.backward()).toThrow(/second time/);
    expect(() => loss.backward()).toThrow(/retainGraph/);

    const x2 = leaf(x0);
    const loss2 = wr.ops.sum(wr.ops.tanh(x2), 0);
    loss2.backward(undefined, { retainGraph: true });
    loss2.backward();
    expectClose(await grad(x2), map((i) => 2 * (1 - Math.tanh(x0[i]) ** 2)), 1e-5, 1e-5, 'twice with retainGraph');
    expect(() => loss2.backward()).toThrow(/second time/);
  });

  it('backward of a non-scalar without a gradient throws', () => {
    const x = leaf(x0);
    const y = wr.ops.tanh(x);
    expect(() => y.backward()).toThrow(/scalar/);
    expect(x.grad).toBeNull();
  });

  it('a gradient of the wrong shape throws a RangeError naming both shapes', () => {
    const x = leaf(x0.subarray(0, 6), [2, 3]);
    const y = wr.ops.tanh(x);
    const bad = ctx.tensor(new Float32Array(6), [3, 2]);
    expect(() => y.backward(bad)).toThrow(RangeError);
    expect(() => y.backward(bad)).toThrow(/\[3, 2\].*\[2, 3\]/);
    expect(() => wr.autograd.backward([y], [bad])).toThrow(RangeError);
    // Nothing ran: the graph is still usable.
    y.backward(ctx.tensor(new Float32Array(6).fill(1), [2, 3]));
    expect(x.grad).not.toBeNull();
  });

  it('an int32 or disposed gradient is rejected before anything runs', () => {
    const x = leaf(x0);
    const y = wr.ops.tanh(x);
    const ids = ctx.tensor(new Int32Array(N), [N], 'int32');
    expect(() => y.backward(ids)).toThrow(/gradient of root 0 is int32, expected float32/);
    const gone = ctx.tensor(g0, [N]);
    gone.dispose();
    expect(() => y.backward(gone)).toThrow(/gradient of root 0 was disposed/);
    // Nothing ran: no gradient was made and the graph is still usable.
    expect(x.grad).toBeNull();
    y.backward(ctx.tensor(g0, [N]));
    expect(x.grad).not.toBeNull();
  });

  it('requiresGrad is for float32 leaves', () => {
    const ids = ctx.tensor(Int32Array.from([1, 2]), [2]);
    expect(() => { ids.requiresGrad = true; }).toThrow(TypeError);
    const x = leaf(x0);
    const y = wr.ops.tanh(x);
    expect(() => { y.requiresGrad = false; }).toThrow(/detach/);
  });

  it('gradients flow through reshape', async () => {
    const x = leaf(x0.subarray(0, 12), [3, 4]);
    const y = wr.ops.mul(x.reshape([2, 6]), ctx.tensor(g1.subarray(0, 12), [2, 6])).reshape([12]);
    y.backward(ctx.tensor(g0.subarray(0, 12), [12]));
    expectClose(await grad(x), Float64Array.from({ length: 12 }, (_, i) => g1[i] * g0[i]), 1e-6, 1e-6);
  });

  it('backward reads saved tensors even after the caller disposed them', async () => {
    const x = leaf(x0);
    const h = wr.ops.tanh(x);
    const w = ctx.tensor(g1, [N]);
    const y = wr.ops.mul(h, w);
    h.dispose();
    w.dispose();
    y.backward(ctx.tensor(g0, [N]));
    expectClose(await grad(x), map((i) => g1[i] * g0[i] * (1 - Math.tanh(x0[i]) ** 2)), 1e-5, 1e-5);
  });

  it('a leaf root gets its seed gradient', async () => {
    const x = leaf(x0);
    x.backward(ctx.tensor(g0, [N]));
    expectClose(await grad(x), g0, 0, 0);
  });

  it('backward frees everything the tape held', async () => {
    // Counters of a context of its own: tensors the tests above dropped are collected at random times.
    const mem = await wr.init({ device: ctx.device });
    try {
      const x = mem.tensor(x0, [N]);
      x.requiresGrad = true;
      const dy = mem.tensor(g0, [N]);
      const before = mem.memoryStats();
      const h = wr.ops.tanh(x);
      const s = wr.ops.scale(h, 2);
      const y = wr.ops.mul(s, h);
      y.backward(dy);
      await x.grad!.read();
      for (const t of [h, s, y]) t.dispose();
      // What is left is x.grad: the tape's saved views and the intermediate gradients are gone.
      const after = mem.memoryStats();
      expect(after.liveBuffers).toBe(before.liveBuffers + 1);
      expect(after.liveTensors).toBe(before.liveTensors + 1);
    } finally {
      mem.destroy();
    }
  });
});
