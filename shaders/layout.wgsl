// Data-layout ops: strided block copies (slices, concatenation, stacking) and swapping the first two axes
// (batchFirst). Their gradients are the same copies run the other way, accumulating (+=).

struct Params {
  rows: u32,        // copy_block: number of rows;  transpose01: A
  cols: u32,        // copy_block: elements per row; transpose01: B
  src_stride: u32,  // copy_block: elements between source rows; transpose01: C
  src_offset: u32,
  dst_stride: u32,
  dst_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;         // copy_block: [.., src_stride]; transpose01: [A, B, C]
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;   // copy_block: [.., dst_stride]; transpose01: [B, A, C]

override ACCUMULATE: bool = false;

const WG: u32 = 256u;

// dst[dst_offset + r*dst_stride + c] (+)= src[src_offset + r*src_stride + c]
@compute @workgroup_size(WG)
fn copy_block(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = gid.x + gid.y * groups.x * WG;
  if (idx >= p.rows * p.cols) { return; }
  let r = idx / p.cols;
  let c = idx % p.cols;
  let o = p.dst_offset + r * p.dst_stride + c;
  var v = src[p.src_offset + r * p.src_stride + c];
  if (ACCUMULATE) { v += dst[o]; }
  dst[o] = v;
}

// dst[b, a, c] (+)= src[a, b, c]; 32-bit words, so it serves int32 token ids too.
@compute @workgroup_size(WG)
fn transpose01(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let A = p.rows;
  let B = p.cols;
  let C = p.src_stride;
  let idx = gid.x + gid.y * groups.x * WG;  // index into dst
  if (idx >= A * B * C) { return; }
  let c = idx % C;
  let a = (idx / C) % A;
  let b = idx / (C * A);
  var v = src[(a * B + b) * C + c];
  if (ACCUMULATE) { v += dst[idx]; }
  dst[idx] = v;
}
