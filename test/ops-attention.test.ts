// CPU references for the seq2seq step kernels: shaders/attention.wgsl (additive attention, forward and backward)
// and shaders/gru_input_cell.wgsl (a GRU step with its own input projection), at H = 70 > the workgroup size of 64
// so the tiled loops run more than one tile, with ragged source lengths and several row blocks.
import { afterAll, beforeAll, describe, it } from 'vitest';
import * as wr from '../src/index.js';
import { attentionForwardInto, attentionBackwardInto } from '../src/ops/attention.js';
import { gruInputForwardInto, gruInputBackwardInto, FIRST_STEP } from '../src/ops/gru_input_cell.js';
import { expectClose, randomArray, testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const B = 3, S = 5, H = 70, E = 4, I = H + E, T = 2;
const lens = Int32Array.from([5, 2, 3]);

/** The CPU forward of one attention step for row b: q, weights a, context. */
function attentionCpu(hq: Float32Array, wq: Float32Array, wv: Float32Array, kv: Float32Array, b: number) {
  const q = Array.from({ length: H }, (_, j) => { let s = 0; for (let k = 0; k < H; k++) s += wq[j * H + k] * hq[b * H + k]; return s; });
  const f = (s: number, j: number) => Math.tanh(q[j] + kv[(b * S + s) * 2 * H + H + j]);
  const e = Array.from({ length: S }, (_, s) => { if (s >= lens[b]) return -1e6; let v = 0; for (let j = 0; j < H; j++) v += wv[j] * f(s, j); return v; });
  const m = Math.max(...e);
  const z = e.reduce((acc, v) => acc + Math.exp(v - m), 0);
  const a = e.map((v) => Math.exp(v - m) / z);
  const c = Array.from({ length: H }, (_, j) => a.reduce((acc, as, s) => acc + as * kv[(b * S + s) * 2 * H + j], 0));
  return { q, a, c, f };
}

describe('attention.wgsl', () => {
  const hq = randomArray(T * B * H, 1, -1, 1); // row block 1 is the query state
  const wq = randomArray(H * H, 2, -0.15, 0.15);
  const wv = randomArray(H, 3, -0.5, 0.5);
  const kv = randomArray(B * S * 2 * H, 4);
  const query = hq.subarray(B * H);

  it('forward: q, masked weights and the context (into the first H columns of x)', async () => {
    const x = ctx.tensor(randomArray(T * B * I, 5), [T, B, I]);
    const saved = ctx.zeros([T, B, H + S]);
    const t = 1;
    attentionForwardInto(ctx.tensor(hq, [T, B, H]), ctx.tensor(wq, [H, H]), ctx.tensor(wv, [1, H]), ctx.tensor(kv, [B, S, 2 * H]),
      ctx.tensor(lens, [B], 'int32'), x, saved, { B, S, H, I, t, qRow: 1, kvDiv: 1 });
    const xs = await x.read();
    const sv = await saved.read();
    for (let b = 0; b < B; b++) {
      const r = attentionCpu(query, wq, wv, kv, b);
      const so = (t * B + b) * (H + S);
      expectClose(sv.subarray(so, so + H), r.q, 1e-5, 1e-4, `q row ${b}`);
      expectClose(sv.subarray(so + H, so + H + S), r.a, 1e-6, 1e-4, `weights row ${b}`);
      expectClose(xs.subarray((t * B + b) * I, (t * B + b) * I + H), r.c, 1e-5, 1e-4, `context row ${b}`);
    }
  });

  it('backward: dkv accumulates, dq, the dw_v part and dh += W_qᵀ·dq', async () => {
    const t = 1;
    const hqT = ctx.tensor(hq, [T, B, H]);
    const wqT = ctx.tensor(wq, [H, H]);
    const wvT = ctx.tensor(wv, [1, H]);
    const kvT = ctx.tensor(kv, [B, S, 2 * H]);
    const x = ctx.zeros([T, B, I]);
    const saved = ctx.zeros([T, B, H + S]);
    attentionForwardInto(hqT, wqT, wvT, kvT, ctx.tensor(lens, [B], 'int32'), x, saved, { B, S, H, I, t, qRow: 1, kvDiv: 1 });
    const dx = randomArray(T * B * I, 6);
    const dkv0 = randomArray(B * S * 2 * H, 7);
    const dh0 = randomArray(B * H, 8);
    const dkv = ctx.tensor(dkv0, [B, S, 2 * H]);
    const dq = ctx.zeros([T, B, 2 * H]);
    const dh = ctx.tensor(dh0, [B, H]);
    attentionBackwardInto(ctx.tensor(dx, [T, B, I]), saved, kvT, wvT, wqT, dkv, dq, dh, { B, S, H, I, t, qRow: 1, kvDiv: 1 });
    const [gotKV, gotQ, gotH] = await Promise.all([dkv.read(), dq.read(), dh.read()]);
    const wantKV = Float64Array.from(dkv0);
    for (let b = 0; b < B; b++) {
      const r = attentionCpu(query, wq, wv, kv, b);
      const dc = dx.subarray((t * B + b) * I, (t * B + b) * I + H);
      const da = r.a.map((_, s) => { let v = 0; for (let j = 0; j < H; j++) v += dc[j] * kv[(b * S + s) * 2 * H + j]; return v; });
      const ada = r.a.reduce((acc, a, s) => acc + a * da[s], 0);
      const de = r.a.map((a, s) => a * (da[s] - ada));
      const dqs = new Float64Array(H), dwv = new Float64Array(H);
      for (let s = 0; s < S; s++) {
        for (let j = 0; j < H; j++) {
          const o = (b * S + s) * 2 * H;
          wantKV[o + j] += r.a[s] * dc[j];
          const f = r.f(s, j);
          const dpre = de[s] * wv[j] * (1 - f * f);
          wantKV[o + H + j] += dpre;
          dqs[j] += dpre;
          dwv[j] += de[s] * f;
        }
      }
      const qo = (t * B + b) * 2 * H;
      expectClose(gotQ.subarray(qo, qo + H), dqs, 1e-5, 1e-3, `dq row ${b}`);
      expectClose(gotQ.subarray(qo + H, qo + 2 * H), dwv, 1e-5, 1e-3, `dw_v part row ${b}`);
      const wantH = Array.from({ length: H }, (_, k) => { let v = dh0[b * H + k]; for (let j = 0; j < H; j++) v += wq[j * H + k] * dqs[j]; return v; });
      expectClose(gotH.subarray(b * H, (b + 1) * H), wantH, 1e-5, 1e-3, `dh row ${b}`);
    }
    expectClose(gotKV, wantKV, 1e-5, 1e-3, 'dkv');
  });
});

describe('gru_input_cell.wgsl', () => {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const x = randomArray(T * B * I, 11);
  const wih = randomArray(3 * H * I, 12, -0.12, 0.12);
  const whh = randomArray(3 * H * H, 13, -0.12, 0.12);
  const bih = randomArray(3 * H, 14, -0.2, 0.2);
  const bhh = randomArray(3 * H, 15, -0.2, 0.2);
  const h0 = randomArray(2 * B * H, 16); // two layers' initial states; h0Row 1 is used
  const outPrev = randomArray(B * H, 17); // out row 0: the state step 1 starts from
  /** gates of step 1 from h = outPrev. */
  function cpuStep() {
    const res = { r: [] as number[], z: [] as number[], n: [] as number[], hn: [] as number[], h: [] as number[] };
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const gi = [0, 1, 2].map((g) => { let v = bih[g * H + j]; for (let i = 0; i < I; i++) v += wih[(g * H + j) * I + i] * x[(B + b) * I + i]; return v; });
        const gh = [0, 1, 2].map((g) => { let v = bhh[g * H + j]; for (let k = 0; k < H; k++) v += whh[(g * H + j) * H + k] * outPrev[b * H + k]; return v; });
        const r = sig(gi[0] + gh[0]), z = sig(gi[1] + gh[1]), n = Math.tanh(gi[2] + r * gh[2]);
        res.r.push(r); res.z.push(z); res.n.push(n); res.hn.push(gh[2]); res.h.push((1 - z) * n + z * outPrev[b * H + j]);
      }
    }
    return res;
  }
  const weights = () => ({ wIH: ctx.tensor(wih, [3 * H, I]), wHH: ctx.tensor(whh, [3 * H, H]), bIH: ctx.tensor(bih, [3 * H]), bHH: ctx.tensor(bhh, [3 * H]) });

  it('forward from h0 (first step) and from the previous row', async () => {
    const w = weights();
    const xT = ctx.tensor(x, [T, B, I]);
    const h0T = ctx.tensor(h0, [2, B, H]);
    const out = ctx.empty([T, B, H]);
    const saved = ctx.empty([T, B, 5 * H]);
    gruInputForwardInto(xT, w, h0T, out, saved, { B, H, I, xRow: 0, outRow: 0, prevRow: FIRST_STEP, h0Row: 1 });
    const row0 = (await out.read()).slice(0, B * H);
    // step 0 from h0 row 1, checked through its saved h_{t−1}
    expectClose((await saved.read()).filter((_, i) => Math.floor(i / H) % 5 === 4 && i < B * 5 * H), h0.subarray(B * H), 0, 0, 'saved h0');
    // step 1 from out row 0, which is set to outPrev for an exact CPU reference
    ctx.writeBuffer(out.buffer, 0, outPrev);
    gruInputForwardInto(xT, w, h0T, out, saved, { B, H, I, xRow: 1, outRow: 1, prevRow: 0, h0Row: 1 });
    const want = cpuStep();
    const got = await out.read();
    expectClose(got.subarray(B * H), want.h, 1e-5, 1e-4, 'h step 1');
    const sv = (await saved.read()).subarray(B * 5 * H);
    for (const [g, name] of (['r', 'z', 'n', 'hn'] as const).entries()) {
      const col = Array.from({ length: B * H }, (_, i) => sv[Math.floor(i / H) * 5 * H + g * H + (i % H)]);
      expectClose(col, want[name], 1e-5, 1e-4, `saved ${name}`);
    }
    expect0(row0);
  });

  it('backward: dgates, dh_{t−1} and dx_t', async () => {
    const w = weights();
    const want = cpuStep();
    // saved row 1 built on the CPU from the reference gates
    const saved = new Float32Array(T * B * 5 * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const o = (B + b) * 5 * H + j, i = b * H + j;
      saved[o] = want.r[i]; saved[o + H] = want.z[i]; saved[o + 2 * H] = want.n[i]; saved[o + 3 * H] = want.hn[i]; saved[o + 4 * H] = outPrev[i];
    }
    const dout = randomArray(T * B * H, 18);
    const dhIn = randomArray(B * H, 19);
    const dhOut = ctx.empty([B, H]);
    const dgates = ctx.empty([T, B, 4 * H]);
    const dx = ctx.empty([T, B, I]);
    gruInputBackwardInto(w, ctx.tensor(dout, [T, B, H]), ctx.tensor(dhIn, [B, H]), dhOut, ctx.tensor(saved, [T, B, 5 * H]), dgates, dx,
      { B, H, I, xRow: 1, outRow: 1, prevRow: 0, h0Row: 0 });
    const [gotH, gotG, gotX] = await Promise.all([dhOut.read(), dgates.read(), dx.read()]);
    for (let b = 0; b < B; b++) {
      const g = Array.from({ length: H }, (_, j) => {
        const i = b * H + j;
        const dh = dhIn[i] + dout[B * H + i];
        const r = want.r[i], z = want.z[i], n = want.n[i], hn = want.hn[i];
        const dn = dh * (1 - z) * (1 - n * n), dz = dh * (outPrev[i] - n) * z * (1 - z), dr = dn * hn * r * (1 - r);
        return { dr, dz, dn, dnr: dn * r, direct: dh * z };
      });
      const go = (B + b) * 4 * H;
      expectClose(gotG.subarray(go, go + 4 * H), [...g.map((v) => v.dr), ...g.map((v) => v.dz), ...g.map((v) => v.dn), ...g.map((v) => v.dnr)], 1e-6, 1e-4, `dgates row ${b}`);
      const wantH = Array.from({ length: H }, (_, k) => g.reduce((acc, v, j) => acc + v.dr * whh[j * H + k] + v.dz * whh[(H + j) * H + k] + v.dnr * whh[(2 * H + j) * H + k], g[k].direct));
      expectClose(gotH.subarray(b * H, (b + 1) * H), wantH, 1e-6, 1e-4, `dh row ${b}`);
      const wantX = Array.from({ length: I }, (_, i) => g.reduce((acc, v, j) => acc + v.dr * wih[j * I + i] + v.dz * wih[(H + j) * I + i] + v.dn * wih[(2 * H + j) * I + i], 0));
      expectClose(gotX.subarray((B + b) * I, (B + b + 1) * I), wantX, 1e-6, 1e-4, `dx row ${b}`);
    }
  });
});

/** Row 0 of the first forward was written (finite), not left as the poison NaN. */
function expect0(values: ArrayLike<number>): void {
  expectClose(Array.from(values, (v) => (Number.isFinite(v) ? 0 : NaN)), new Float32Array(values.length), 0, 0, "step 0 written");
}
