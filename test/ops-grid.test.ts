// Beyond maxComputeWorkgroupsPerDimension, 1-D kernels spill into a second grid dimension (ops/grid.ts). Real
// limits (65535 workgroups) need tensors too big for a software adapter, so a context here sees a device whose
// limit reads 4, and every 1-D kernel of the core ops runs on a grid that spills.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { grid, rowGrid } from '../src/ops/grid.js';
import { expectClose, randomArray, testContext } from './helpers.js';

let base: wr.Context;
let ctx: wr.Context;
const MAX_GROUPS = 4; // 1-D kernels of up to 4 × 4 × 256 threads

/** The same device, reporting a smaller maxComputeWorkgroupsPerDimension. */
function limitedDevice(device: GPUDevice, maxGroups: number): GPUDevice {
  const limits = new Proxy(device.limits, {
    get: (target, key) => (key === 'maxComputeWorkgroupsPerDimension' ? maxGroups : Reflect.get(target, key, target)),
  });
  return new Proxy(device, {
    get(target, key) {
      if (key === 'limits') return limits;
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

beforeAll(async () => {
  base = await testContext();
  ctx = await wr.init({ device: limitedDevice(base.device, MAX_GROUPS) });
});
afterAll(() => {
  ctx?.destroy();
  base?.destroy();
});

const N = 2 * MAX_GROUPS * 256 + 5; // needs 9 workgroups of 256: a 4 × 3 grid with a partial last row

describe('grid spill', () => {
  it('the grid helpers spill into y', () => {
    expect(ctx.limits.maxComputeWorkgroupsPerDimension).toBe(MAX_GROUPS);
    expect(grid(ctx, 256 * MAX_GROUPS)).toEqual([MAX_GROUPS, 1]);
    expect(grid(ctx, N)).toEqual([MAX_GROUPS, 3]);
    expect(rowGrid(ctx, 4)).toEqual([4, 1]);
    expect(rowGrid(ctx, 7)).toEqual([MAX_GROUPS, 2]);
  });

  it('a dispatch over the limit is a RangeError', () => {
    const k = ctx.kernel({ file: 'noop.wgsl', source: '@compute @workgroup_size(1) fn main() {}', entry: 'main' });
    expect(() => ctx.dispatch(k, [MAX_GROUPS + 1], {})).toThrow(RangeError);
  });

  it('elementwise forward and backward', async () => {
    const a0 = randomArray(N, 1);
    const b0 = randomArray(N, 2);
    const w = randomArray(N, 3);
    const a = ctx.tensor(a0, [N]);
    const b = ctx.tensor(b0, [N]);
    a.requiresGrad = true;
    b.requiresGrad = true;
    const y = wr.ops.tanh(wr.ops.add(wr.ops.mul(a, b), wr.ops.scale(a, 0.5)));
    const pre = Array.from(a0, (v, i) => v * b0[i] + 0.5 * v);
    expectClose(await y.read(), pre.map(Math.tanh), 1e-5, 1e-5, 'forward');
    y.backward(ctx.tensor(w, [N]));
    const dPre = pre.map((p, i) => w[i] * (1 - Math.tanh(p) ** 2));
    expectClose(await a.grad!.read(), dPre.map((d, i) => d * (b0[i] + 0.5)), 1e-5, 1e-5, 'da');
    expectClose(await b.grad!.read(), dPre.map((d, i) => d * a0[i]), 1e-5, 1e-5, 'db');
    const z = ctx.zeros([N]);
    expect((await z.read()).every((v) => v === 0)).toBe(true);
  });

  it('sum over an axis, forward and backward', async () => {
    const [R, C] = [2, 1100]; // forward 1100 threads, backward 2200
    const x0 = randomArray(R * C, 4);
    const x = ctx.tensor(x0, [R, C]);
    x.requiresGrad = true;
    const s = wr.ops.sum(x, 0);
    expectClose(await s.read(), Array.from({ length: C }, (_, c) => x0[c] + x0[C + c]), 1e-6, 1e-5);
    const w = randomArray(C, 5);
    s.backward(ctx.tensor(w, [C]));
    expectClose(await x.grad!.read(), [...w, ...w], 0, 0, 'grad');
  });

  it('cross entropy: one workgroup per row over a spilled grid, and its backward', async () => {
    const [rows, C] = [7, 300]; // 7 rows on a 4 × 2 grid; backward has 2100 threads
    const x0 = randomArray(rows * C, 6, -2, 2);
    const t0 = Int32Array.from({ length: rows }, (_, i) => (i * 37) % C);
    const logits = ctx.tensor(x0, [rows, C]);
    logits.requiresGrad = true;
    const loss = wr.ops.crossEntropy(logits, ctx.tensor(t0, [rows]));
    let total = 0;
    const expectedGrad = new Float64Array(rows * C);
    for (let n = 0; n < rows; n++) {
      const row = Array.from(x0.subarray(n * C, (n + 1) * C));
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      total += lse - row[t0[n]];
      for (let c = 0; c < C; c++) expectedGrad[n * C + c] = (Math.exp(row[c] - lse) - (c === t0[n] ? 1 : 0)) / rows;
    }
    expectClose(await loss.read(), [total / rows], 1e-5, 1e-5, 'loss');
    loss.backward();
    expectClose(await logits.grad!.read(), expectedGrad, 1e-6, 1e-4, 'dLogits');
  });

  it('gather forward and its scatter-add backward', async () => {
    const [V, D, n] = [300, 7, 200]; // forward 1400 threads, backward 2100
    const table0 = randomArray(V * D, 7);
    const ids0 = Int32Array.from({ length: n }, (_, i) => (i * i) % V);
    const table = ctx.tensor(table0, [V, D]);
    table.requiresGrad = true;
    const out = wr.ops.gather(table, ctx.tensor(ids0, [n]));
    const expected = new Float64Array(n * D);
    for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) expected[i * D + d] = table0[ids0[i] * D + d];
    expect(Array.from(await out.read())).toEqual(Array.from(expected));
    const w = randomArray(n * D, 8);
    out.backward(ctx.tensor(w, [n, D]));
    const dTable = new Float64Array(V * D);
    for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) dTable[ids0[i] * D + d] += w[i * D + d];
    expectClose(await table.grad!.read(), dTable, 1e-5, 1e-5, 'dTable');
  });
});
