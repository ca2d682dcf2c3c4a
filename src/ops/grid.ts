import type { Context } from '../core/context.js';

/** Threads per workgroup of the 1-D kernels. */
export const WG = 256;

/** Workgroup counts covering n threads of a 1-D kernel; beyond the per-dimension limit it spills into y
 *  (kernels index as gid.x + gid.y * num_workgroups.x * workgroupSize). */
export function grid(ctx: Context, n: number, workgroupSize = WG): [number, number] {
  const groups = Math.ceil(n / workgroupSize);
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  return groups <= max ? [groups, 1] : [max, Math.ceil(groups / max)];
}

/** Workgroup counts for one workgroup per row (x first, spilling into y). */
export function rowGrid(ctx: Context, rows: number): [number, number] {
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  return rows <= max ? [rows, 1] : [max, Math.ceil(rows / max)];
}
