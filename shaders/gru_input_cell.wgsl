// GRU cell step that makes its own input projection (PyTorch nn.GRU's gates r, z, n, as gru_cell.wgsl):
//   gi = W_ih·x_t + b_ih,  gh = W_hh·h + b_hh
//   r = σ(gi_r + gh_r),  z = σ(gi_z + gh_z),  n = tanh(gi_n + r ⊙ gh_n),  h' = (1 − z) ⊙ n + z ⊙ h
// For decoders whose input at step t depends on step t − 1 (attention, stacked layers inside a decoding loop),
// so the projection cannot be one matmul over all steps up front. One dispatch per layer and step each way.
// Forward saves r, z, n, gh_n and the state the step started from, in one buffer (that keeps backward at 8
// storage buffers, WebGPU's default per-stage limit).
// Backward, with dh = dout_t + dh_t (the gradient reaching h_t from above and from step t + 1):
//   dn = dh ⊙ (1 − z) ⊙ (1 − n²),  dz = dh ⊙ (h − n) ⊙ z(1 − z),  dr = dn ⊙ gh_n ⊙ r(1 − r)
//   dgates = [dr, dz, dn, dn ⊙ r]   (input side: the first three; recurrent side: dr, dz, dn ⊙ r)
//   dh_{t−1} = [dr, dz, dn ⊙ r]·W_hh + dh ⊙ z,   dx_t = [dr, dz, dn]·W_ih
// A backward workgroup takes WG outputs of one row (h's gradient first, then x's) and walks the row's gate
// gradients in tiles of WG through workgroup memory, so any hidden size works.

const NO_STEP: u32 = 0xffffffffu;  // prev_row of the first step: read h0 instead
const WG: u32 = 64u;

struct CellParams {
  B: u32,
  H: u32,
  I: u32,         // input width
  x_row: u32,     // which [B, I] block of x this step reads
  out_row: u32,   // which [B, H] block of out (and of saved, dgates) this step writes
  prev_row: u32,  // which block of out holds h_{t−1}, or NO_STEP: h0 block h0_row
  h0_row: u32,
}

@group(0) @binding(0) var<uniform> p: CellParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;               // [rows, B, I] layer input
@group(0) @binding(2) var<storage, read> w_ih: array<f32>;            // [3H, I]
@group(0) @binding(3) var<storage, read> w_hh: array<f32>;            // [3H, H]
@group(0) @binding(4) var<storage, read> b_ih: array<f32>;            // [3H]
@group(0) @binding(5) var<storage, read> b_hh: array<f32>;            // [3H]
@group(0) @binding(6) var<storage, read> h0: array<f32>;              // [rows, B, H] initial states
@group(0) @binding(7) var<storage, read_write> out: array<f32>;       // [rows, B, H] h' of every step
@group(0) @binding(8) var<storage, read_write> saved: array<f32>;     // [rows, B, 5H] r, z, n, gh_n, h_{t−1}

@group(0) @binding(9) var<storage, read> dout: array<f32>;            // [rows, B, H] gradient of out from above
@group(0) @binding(10) var<storage, read> dh_in: array<f32>;          // [B, H] gradient reaching h_t from step t + 1
@group(0) @binding(11) var<storage, read_write> dh_out: array<f32>;   // [B, H] gradient of h_{t−1}
@group(0) @binding(12) var<storage, read> saved_in: array<f32>;       // [rows, B, 5H] what forward saved
@group(0) @binding(13) var<storage, read_write> dgates: array<f32>;   // [rows, B, 4H] dr, dz, dn, dn ⊙ r
@group(0) @binding(14) var<storage, read_write> dx: array<f32>;       // [rows, B, I] gradient of x_t

override SAVE: bool = true;      // false: no gradient needed (decoding), skip `saved`
override HAS_DOUT: bool = true;  // false: nothing above used out (dout is not read)

fn sigmoid(v: f32) -> f32 {
  return 1.0 / (1.0 + exp(-clamp(v, -30.0, 30.0)));
}

fn h_before(b: u32, k: u32) -> f32 {
  if (p.prev_row == NO_STEP) { return h0[(p.h0_row * p.B + b) * p.H + k]; }
  return out[(p.prev_row * p.B + b) * p.H + k];
}

@compute @workgroup_size(WG)
fn gru_input_forward(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x;  // b * H + j
  if (idx >= p.B * p.H) { return; }
  let H = p.H;
  let I = p.I;
  let b = idx / H;
  let j = idx % H;
  var ar = b_ih[j] + b_hh[j];
  var az = b_ih[H + j] + b_hh[H + j];
  var an = b_ih[2u * H + j];
  var hn = b_hh[2u * H + j];  // b_hn sits inside r ⊙ (·), unlike b_in
  let xo = (p.x_row * p.B + b) * I;
  for (var i = 0u; i < I; i++) {
    let v = x[xo + i];
    ar = fma(v, w_ih[j * I + i], ar);
    az = fma(v, w_ih[(H + j) * I + i], az);
    an = fma(v, w_ih[(2u * H + j) * I + i], an);
  }
  for (var k = 0u; k < H; k++) {
    let h = h_before(b, k);
    ar = fma(h, w_hh[j * H + k], ar);
    az = fma(h, w_hh[(H + j) * H + k], az);
    hn = fma(h, w_hh[(2u * H + j) * H + k], hn);
  }
  let r = sigmoid(ar);
  let z = sigmoid(az);
  let n = tanh(clamp(an + r * hn, -15.0, 15.0));
  let hp = h_before(b, j);
  out[(p.out_row * p.B + b) * H + j] = (1.0 - z) * n + z * hp;
  if (SAVE) {
    let s = (p.out_row * p.B + b) * 5u * H + j;
    saved[s] = r;
    saved[s + H] = z;
    saved[s + 2u * H] = n;
    saved[s + 3u * H] = hn;
    saved[s + 4u * H] = hp;
  }
}

// The gradient reaching h_t of row b, unit j.
fn dh_total(b: u32, j: u32) -> f32 {
  var dh = dh_in[b * p.H + j];
  if (HAS_DOUT) { dh += dout[(p.out_row * p.B + b) * p.H + j]; }
  return dh;
}

// (dr, dz, dn, dn ⊙ r) of row b, unit j.
fn gate_grads(b: u32, j: u32) -> vec4f {
  let H = p.H;
  let s = (p.out_row * p.B + b) * 5u * H + j;
  let r = saved_in[s];
  let z = saved_in[s + H];
  let n = saved_in[s + 2u * H];
  let hn = saved_in[s + 3u * H];
  let hp = saved_in[s + 4u * H];
  let dh = dh_total(b, j);
  let dn = dh * (1.0 - z) * (1.0 - n * n);
  let dz = dh * (hp - n) * z * (1.0 - z);
  let dr = dn * hn * r * (1.0 - r);
  return vec4f(dr, dz, dn, dn * r);
}

var<workgroup> tile: array<vec4f, WG>;

// Workgroups [ceil((H + I) / WG), B]: outputs o < H are dh_{t−1}[b, o], the rest dx_t[b, o − H].
@compute @workgroup_size(WG)
fn gru_input_backward(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let H = p.H;
  let I = p.I;
  let b = wid.y;
  let o = wid.x * WG + lid.x;
  var acc = 0.0;
  for (var j0 = 0u; j0 < H; j0 += WG) {
    let j = j0 + lid.x;
    var g = vec4f(0.0);
    if (j < H) {
      g = gate_grads(b, j);
      if (wid.x == 0u) {
        let d = (p.out_row * p.B + b) * 4u * H + j;
        dgates[d] = g.x;
        dgates[d + H] = g.y;
        dgates[d + 2u * H] = g.z;
        dgates[d + 3u * H] = g.w;
      }
    }
    tile[lid.x] = g;
    workgroupBarrier();
    let n = min(WG, H - j0);
    if (o < H) {
      for (var jj = 0u; jj < n; jj++) {
        let t = tile[jj];
        let jr = j0 + jj;
        acc = fma(t.x, w_hh[jr * H + o], acc);
        acc = fma(t.y, w_hh[(H + jr) * H + o], acc);
        acc = fma(t.w, w_hh[(2u * H + jr) * H + o], acc);
      }
    } else if (o < H + I) {
      let i = o - H;
      for (var jj = 0u; jj < n; jj++) {
        let t = tile[jj];
        let jr = j0 + jj;
        acc = fma(t.x, w_ih[jr * I + i], acc);
        acc = fma(t.y, w_ih[(H + jr) * I + i], acc);
        acc = fma(t.z, w_ih[(2u * H + jr) * I + i], acc);
      }
    }
    workgroupBarrier();
  }
  if (o < H) {
    let z = saved_in[(p.out_row * p.B + b) * 5u * H + H + o];
    dh_out[b * H + o] = acc + dh_total(b, o) * z;
  } else if (o < H + I) {
    dx[(p.out_row * p.B + b) * I + (o - H)] = acc;
  }
}
