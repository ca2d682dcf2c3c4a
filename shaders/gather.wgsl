// Row gather by int32 index (an embedding lookup: one-hot input times a weight, without the one-hot) and its
// gradient, a scatter-add made deterministic: ids are bucketed (count, scan, order) so each table row sums
// its own rows of dout in index order, with no float atomics.
//   forward:  out[n, d] (+)= table[ids[n], d]        (TRANSPOSED: table is [D, V], i.e. columns of W_ih)
//   backward: dtable[v, d] (+)= Σ_{n: ids[n] = v} dout[n, d]

struct Params {
  N: u32,  // number of ids
  D: u32,  // row width
  V: u32,  // table rows (vocabulary)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<f32>;             // [V, D] or [D, V]
@group(0) @binding(2) var<storage, read> ids: array<i32>;               // [N]
@group(0) @binding(3) var<storage, read_write> out: array<f32>;         // [N, D]
@group(0) @binding(4) var<storage, read_write> dtable: array<f32>;      // [V, D] or [D, V]
@group(0) @binding(5) var<storage, read> dout: array<f32>;              // [N, D]
@group(0) @binding(6) var<storage, read_write> counts: array<atomic<u32>>;  // [V] ids per row (zeroed first)
@group(0) @binding(7) var<storage, read_write> rank: array<u32>;        // [N] position among equal ids
@group(0) @binding(8) var<storage, read_write> offsets: array<u32>;     // [V + 1] bucket starts
@group(0) @binding(9) var<storage, read_write> order: array<u32>;       // [N] ids' positions, grouped by id
@group(0) @binding(10) var<storage, read> counts_in: array<u32>;        // [V] (the counts, read back)

override TRANSPOSED: bool = false;
override ACCUMULATE: bool = false;  // forward adds into out, backward into dtable (else: overwrite every element)
override PADDING_IDX: i32 = -1;     // a table row whose gradient stays zero (nn.Embedding's padding_idx); -1: none

// WG and flat_index come from common.wgsl (appended).
// A quiet NaN, made at run time (WGSL rejects NaN in constant expressions).
var<private> NAN_BITS: u32 = 0x7fc00000u;

fn table_index(v: u32, d: u32) -> u32 {
  if (TRANSPOSED) { return d * p.V + v; }
  return v * p.D + d;
}

@compute @workgroup_size(WG)
fn gather_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = flat_index(gid, groups);
  if (idx >= p.N * p.D) { return; }
  let n = idx / p.D;
  let d = idx % p.D;
  let id = ids[n];
  var v = bitcast<f32>(NAN_BITS);  // NaN marks an id outside the table
  if (id >= 0 && u32(id) < p.V) { v = table[table_index(u32(id), d)]; }
  if (ACCUMULATE) { v += out[idx]; }
  out[idx] = v;
}

var<workgroup> chunk_ids: array<i32, WG>;

// counts[v] = #{n : ids[n] = v} and rank[n] = #{m < n : ids[m] = ids[n]} (a stable counting sort's ranks).
// One workgroup walks the ids a chunk of WG at a time: each thread ranks its id among the chunk's earlier equal
// ids (WG compares in workgroup memory) and adds the count carried over from earlier chunks, which the chunk's
// last occurrence of each id then advances. O(N·WG) work instead of O(N²), and no order-dependent atomics: the
// ranks, so the scatter-add's sums, are the same on every run. Dispatched as one workgroup; counts zeroed first.
@compute @workgroup_size(WG)
fn gather_count(@builtin(local_invocation_index) li: u32) {
  for (var start = 0u; start < p.N; start += WG) {
    let n = start + li;
    var id = -1;
    if (n < p.N) { id = ids[n]; }
    let valid = id >= 0 && u32(id) < p.V;
    chunk_ids[li] = select(-1, id, valid);  // ids outside the table match nothing
    workgroupBarrier();
    let len = min(WG, p.N - start);
    var before = 0u;
    var last = true;
    for (var m = 0u; m < len; m++) {
      let same = chunk_ids[m] == id;
      if (same && m < li) { before += 1u; }
      if (same && m > li) { last = false; }
    }
    var r = 0u;
    if (valid) { r = atomicLoad(&counts[u32(id)]) + before; }
    if (n < p.N) { rank[n] = r; }
    storageBarrier();  // every thread has read its carried count before the chunk's last occurrences advance it
    if (valid && last) { atomicStore(&counts[u32(id)], r + 1u); }
    storageBarrier();
    workgroupBarrier();  // the next chunk rewrites chunk_ids
  }
}

var<workgroup> chunk_sums: array<u32, WG>;

// offsets = exclusive prefix sum of counts; one workgroup, each thread a contiguous chunk.
@compute @workgroup_size(WG)
fn gather_offsets(@builtin(local_invocation_index) li: u32) {
  let per = (p.V + WG - 1u) / WG;
  let start = min(li * per, p.V);
  let stop = min(start + per, p.V);
  var s = 0u;
  for (var v = start; v < stop; v++) { s += counts_in[v]; }
  chunk_sums[li] = s;
  workgroupBarrier();
  if (li == 0u) {
    var run = 0u;
    for (var k = 0u; k < WG; k++) {
      let c = chunk_sums[k];
      chunk_sums[k] = run;
      run += c;
    }
    offsets[p.V] = run;
  }
  workgroupBarrier();
  var run = chunk_sums[li];
  for (var v = start; v < stop; v++) {
    offsets[v] = run;
    run += counts_in[v];
  }
}

@compute @workgroup_size(WG)
fn gather_order(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.x;
  if (n >= p.N) { return; }
  let id = ids[n];
  if (id >= 0 && u32(id) < p.V) { order[offsets[u32(id)] + rank[n]] = n; }
}

// One thread per table element: sums its bucket's rows of dout in index order.
@compute @workgroup_size(WG)
fn gather_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = flat_index(gid, groups);
  if (idx >= p.V * p.D) { return; }
  var v: u32; var d: u32;
  if (TRANSPOSED) { d = idx / p.V; v = idx % p.V; } else { v = idx / p.D; d = idx % p.D; }
  let lo = offsets[v];
  var hi = offsets[v + 1u];
  if (i32(v) == PADDING_IDX) { hi = lo; }
  var acc = 0.0;
  for (var k = lo; k < hi; k++) { acc += dout[order[k] * p.D + d]; }
  if (ACCUMULATE) {
    if (hi > lo) { dtable[idx] += acc; }
  } else {
    dtable[idx] = acc;  // rows no id hit get 0: a fresh gradient needs no zero fill
  }
}
