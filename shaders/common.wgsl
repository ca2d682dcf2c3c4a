// Shared by the 1-D kernels: appended to their files when the module is made (core/wgsl.ts withSnippets), so
// each piece is written once. TypeScript reads WG from here (core/grid.ts).

const WG: u32 = 256u;  // threads per workgroup

// The flat thread index of a 1-D grid that spills into y (core/grid.ts).
fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

var<workgroup> reduce_scratch: array<f32, WG>;

// Σ v (or max v) over the workgroup, returned to every thread. Called in uniform control flow by all WG threads.
fn workgroup_reduce(li: u32, value: f32, take_max: bool) -> f32 {
  reduce_scratch[li] = value;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (li < stride) {
      let own = reduce_scratch[li];
      let other = reduce_scratch[li + stride];
      reduce_scratch[li] = select(own + other, max(own, other), take_max);
    }
    workgroupBarrier();
  }
  let total = reduce_scratch[0];
  workgroupBarrier();
  return total;
}

fn workgroup_sum(li: u32, value: f32) -> f32 { return workgroup_reduce(li, value, false); }
fn workgroup_max(li: u32, value: f32) -> f32 { return workgroup_reduce(li, value, true); }
