// LSTM cell, one whole time step per dispatch (PyTorch nn.LSTM, gate order i, f, g, o; rows of W_hh are [i; f; g; o]):
//   i = σ(x_i + b_ii + W_hi h + b_hi)     f = σ(x_f + b_if + W_hf h + b_hf)
//   g = tanh(x_g + b_ig + W_hg h + b_hg)  o = σ(x_o + b_io + W_ho h + b_ho)
//   c' = f ⊙ c + i ⊙ g                    h' = o ⊙ tanh(c')            (h, c: the previous step's state)
// x_* = x_t·W_i*ᵀ comes precomputed for all steps (one matmul, or a gather for token ids).
// Backward, one dispatch per step, from dh = dout_t + dh_in and dc_in (both flowing back from step t+1):
//   dc = dh ⊙ o ⊙ (1 − tanh²(c')) + dc_in
//   di = dc ⊙ g ⊙ i(1 − i)   df = dc ⊙ c ⊙ f(1 − f)   dg = dc ⊙ i ⊙ (1 − g²)   do = dh ⊙ tanh(c') ⊙ o(1 − o)
//   dh_prev[k] = Σ_j dgates[j] · W_hh[j, k] over all 4H rows j      dc_prev = dc ⊙ f
// Each workgroup recomputes the gate gradients of its rows on the fly (a few loads per unit), so dh_prev
// needs no second dispatch. The weight gradients come after all steps, as matmuls over all T·B rows.
//
// Both entry points are tiled alike: a workgroup owns TB batch rows × TU hidden units and stages chunks of the
// reduction axis (h_{t-1} and W_hh forward; gate gradients and W_hh backward) in workgroup memory with coalesced
// loads, so W_hh is read once per workgroup rather than once per batch row.
// h0/c0 and dh/dc travel as one [2, B, H] binding each, which keeps every entry point within 8 storage buffers.

// p: StepParams (T, B, H, t, t_prev) at binding 0 and NO_STEP come from recurrence.wgsl (appended).
// Forward
@group(0) @binding(1) var<storage, read> xproj: array<f32>;              // [T, B, 4H] x·W_ihᵀ, no bias
@group(0) @binding(2) var<storage, read> w_hh: array<f32>;               // [4H, H] (also backward)
@group(0) @binding(3) var<storage, read> b_ih: array<f32>;               // [4H]
@group(0) @binding(4) var<storage, read> b_hh: array<f32>;               // [4H]
@group(0) @binding(5) var<storage, read> state0: array<f32>;             // [2, B, H] h0 then c0 (also backward)
@group(0) @binding(6) var<storage, read_write> out: array<f32>;          // [T, B, H] h at every step
@group(0) @binding(7) var<storage, read_write> cells: array<f32>;        // [T, B, H] c at every step
@group(0) @binding(8) var<storage, read_write> gates: array<vec4<f32>>;  // [T, B, H] × (i, f, g, o): one 16-byte load per unit
// Backward
@group(0) @binding(9) var<storage, read> dout: array<f32>;               // [T, B, H] upstream gradient of out
@group(0) @binding(10) var<storage, read> ds_in: array<f32>;             // [2, B, H] dh_t then dc_t from step t+1
@group(0) @binding(11) var<storage, read_write> ds_out: array<f32>;      // [2, B, H] dh_{t-1} then dc_{t-1}
@group(0) @binding(12) var<storage, read_write> dgates: array<f32>;      // [T, B, 4H] gradient of the pre-activations
@group(0) @binding(13) var<storage, read> cells_saved: array<f32>;       // [T, B, H] forward's cells
@group(0) @binding(14) var<storage, read> gates_saved: array<vec4<f32>>; // [T, B, H] × (i, f, g, o) forward's gates

override HAS_BIAS: bool = true;
override HAS_DOUT: bool = true;  // false: nothing downstream used `output`, only h_N / c_N

const WG: u32 = 64u;
const TB: u32 = 8u;   // batch rows per workgroup
const TU: u32 = 8u;   // hidden units per workgroup (TB · TU = WG)
const KC: u32 = 64u;  // forward: reduction chunk over h_{t-1}
const UC: u32 = 32u;  // backward: reduction chunk over units (× 4 gates)

// ---- forward ----------------------------------------------------------------------------------------------

// Rows padded by one word so that threads reading different rows hit different banks.
var<workgroup> h_tile: array<f32, TB * (KC + 1u)>;       // [TB, KC] of h_{t-1}
var<workgroup> w_tile: array<f32, 4u * TU * (KC + 1u)>;  // [4, TU, KC] of W_hh

fn h_prev(b: u32, k: u32) -> f32 {
  if (p.t_prev == NO_STEP) { return state0[b * p.H + k]; }
  return out[(p.t_prev * p.B + b) * p.H + k];
}

fn c_prev_fwd(b: u32, j: u32) -> f32 {
  if (p.t_prev == NO_STEP) { return state0[(p.B + b) * p.H + j]; }
  return cells[(p.t_prev * p.B + b) * p.H + j];
}

// Workgroup (x, y) = units [x·TU, +TU) × rows [y·TB, +TB); thread (bb, jj) = one (b, j), all four gates.
@compute @workgroup_size(WG)
fn lstm_step_forward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let H = p.H;
  let B = p.B;
  let j0 = wid.x * TU;
  let b0 = wid.y * TB;
  let jj = li % TU;
  let bb = li / TU;
  var acc = vec4f(0.0);
  for (var k0 = 0u; k0 < H; k0 += KC) {
    for (var e = li; e < TB * KC; e += WG) {
      let r = e / KC;
      let c = e % KC;
      var v = 0.0;
      if (b0 + r < B && k0 + c < H) { v = h_prev(b0 + r, k0 + c); }
      h_tile[r * (KC + 1u) + c] = v;
    }
    for (var e = li; e < 4u * TU * KC; e += WG) {
      let r = e / KC;  // gate · TU + unit
      let c = e % KC;
      let j = j0 + r % TU;
      var v = 0.0;
      if (j < H && k0 + c < H) { v = w_hh[((r / TU) * H + j) * H + k0 + c]; }
      w_tile[r * (KC + 1u) + c] = v;
    }
    workgroupBarrier();
    let hr = bb * (KC + 1u);
    let wr = jj * (KC + 1u);
    let gs = TU * (KC + 1u);  // stride between gates in w_tile
    for (var c = 0u; c < KC; c++) {
      let h = h_tile[hr + c];
      let w = vec4f(w_tile[wr + c], w_tile[gs + wr + c], w_tile[2u * gs + wr + c], w_tile[3u * gs + wr + c]);
      acc = fma(vec4f(h), w, acc);
    }
    workgroupBarrier();
  }

  let b = b0 + bb;
  let j = j0 + jj;
  if (b >= B || j >= H) { return; }
  let xo = (p.t * B + b) * 4u * H + j;
  var pre = acc + vec4f(xproj[xo], xproj[xo + H], xproj[xo + 2u * H], xproj[xo + 3u * H]);
  if (HAS_BIAS) {
    pre += vec4f(b_ih[j], b_ih[j + H], b_ih[j + 2u * H], b_ih[j + 3u * H]);
    pre += vec4f(b_hh[j], b_hh[j + H], b_hh[j + 2u * H], b_hh[j + 3u * H]);
  }
  let gt = vec4f(safe_sigmoid(pre.x), safe_sigmoid(pre.y), safe_tanh(pre.z), safe_sigmoid(pre.w));
  let c = gt.y * c_prev_fwd(b, j) + gt.x * gt.z;
  let o = (p.t * B + b) * H + j;
  out[o] = gt.w * safe_tanh(c);
  cells[o] = c;
  gates[o] = gt;
}

// ---- backward ---------------------------------------------------------------------------------------------

var<workgroup> dg_tile: array<vec4<f32>, TB * (UC + 1u)>;  // [TB, UC] of (di, df, dg, do)
var<workgroup> wb_tile: array<f32, 4u * UC * TU>;          // [4, UC, TU] of W_hh

struct CellGrad {
  d: vec4f,  // (di, df, dg, do): gradient of the four pre-activations
  dc: f32,   // gradient of c_t (from h_t and from step t+1)
  f: f32,
}

// Gradients of unit u in row b at step t.
fn cell_grad(b: u32, u: u32) -> CellGrad {
  let n = p.B * p.H;
  let s = b * p.H + u;
  let o = p.t * n + s;
  var dh = ds_in[s];
  if (HAS_DOUT) { dh += dout[o]; }
  let gt = gates_saved[o];
  let tc = safe_tanh(cells_saved[o]);
  var cp: f32;
  if (p.t_prev == NO_STEP) { cp = state0[n + s]; } else { cp = cells_saved[p.t_prev * n + s]; }
  let dc = dh * gt.w * (1.0 - tc * tc) + ds_in[n + s];
  let d = vec4f(
    dc * gt.z * gt.x * (1.0 - gt.x),
    dc * cp * gt.y * (1.0 - gt.y),
    dc * gt.x * (1.0 - gt.z * gt.z),
    dh * tc * gt.w * (1.0 - gt.w),
  );
  return CellGrad(d, dc, gt.y);
}

// Workgroup (x, y) = columns k in [x·TU, +TU) × rows [y·TB, +TB); thread (bb, kk) reduces dh_{t-1}[b, k] over
// all 4H gate rows, then writes the gate gradients and dc_{t-1} of its own unit k.
@compute @workgroup_size(WG)
fn lstm_step_backward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let H = p.H;
  let B = p.B;
  let k0 = wid.x * TU;
  let b0 = wid.y * TB;
  let kk = li % TU;
  let bb = li / TU;
  var acc = 0.0;
  for (var u0 = 0u; u0 < H; u0 += UC) {
    for (var e = li; e < TB * UC; e += WG) {
      let r = e / UC;
      let c = e % UC;
      var d = vec4f(0.0);
      if (b0 + r < B && u0 + c < H) { d = cell_grad(b0 + r, u0 + c).d; }
      dg_tile[r * (UC + 1u) + c] = d;
    }
    for (var e = li; e < 4u * UC * TU; e += WG) {
      let col = e % TU;
      let r = e / TU;  // gate · UC + unit
      let u = u0 + r % UC;
      var v = 0.0;
      if (u < H && k0 + col < H) { v = w_hh[((r / UC) * H + u) * H + k0 + col]; }
      wb_tile[e] = v;
    }
    workgroupBarrier();
    let dr = bb * (UC + 1u);
    let gs = UC * TU;  // stride between gates in wb_tile
    for (var c = 0u; c < UC; c++) {
      let d = dg_tile[dr + c];
      let w = c * TU + kk;
      acc = fma(d.x, wb_tile[w], acc);
      acc = fma(d.y, wb_tile[gs + w], acc);
      acc = fma(d.z, wb_tile[2u * gs + w], acc);
      acc = fma(d.w, wb_tile[3u * gs + w], acc);
    }
    workgroupBarrier();
  }

  let b = b0 + bb;
  let k = k0 + kk;
  if (b >= B || k >= H) { return; }
  let g = cell_grad(b, k);
  let s = b * H + k;
  let go = (p.t * B + b) * 4u * H + k;
  dgates[go] = g.d.x;
  dgates[go + H] = g.d.y;
  dgates[go + 2u * H] = g.d.z;
  dgates[go + 3u * H] = g.d.w;
  ds_out[s] = acc;
  ds_out[B * H + s] = g.dc * g.f;
}
