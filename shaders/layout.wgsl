// Data-layout ops: strided block copies (slices, concatenation, stacking) and swapping the first two axes
// (batchFirst). Their gradients are the same copies run the other way, accumulating (+=).

struct CopyParams {
  rows: u32,        // number of rows
  cols: u32,        // elements per row
  src_stride: u32,  // elements between source rows
  src_offset: u32,
  dst_stride: u32,
  dst_offset: u32,
}

struct TransposeParams {
  A: u32,  // src is [A, B, C]
  B: u32,
  C: u32,
}

@group(0) @binding(0) var<uniform> blk: CopyParams;
@group(0) @binding(3) var<uniform> dims: TransposeParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;         // copy_block: [.., src_stride]; transpose01: [A, B, C]
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;   // copy_block: [.., dst_stride]; transpose01: [B, A, C]

override ACCUMULATE: bool = false;

// WG and flat_index come from common.wgsl (appended).

// dst[dst_offset + r*dst_stride + c] (+)= src[src_offset + r*src_stride + c]
@compute @workgroup_size(WG)
fn copy_block(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = flat_index(gid, groups);
  if (idx >= blk.rows * blk.cols) { return; }
  let r = idx / blk.cols;
  let c = idx % blk.cols;
  let o = blk.dst_offset + r * blk.dst_stride + c;
  var v = src[blk.src_offset + r * blk.src_stride + c];
  if (ACCUMULATE) { v += dst[o]; }
  dst[o] = v;
}

// dst[b, a, c] (+)= src[a, b, c]; 32-bit words, so it serves int32 token ids too.
@compute @workgroup_size(WG)
fn transpose01(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let A = dims.A;
  let B = dims.B;
  let C = dims.C;
  let idx = flat_index(gid, groups);  // index into dst
  if (idx >= A * B * C) { return; }
  let c = idx % C;
  let a = (idx / C) % A;
  let b = idx / (C * A);
  var v = src[(a * B + b) * C + c];
  if (ACCUMULATE) { v += dst[idx]; }
  dst[idx] = v;
}
