import type { Context } from './context.js';
import type { Kernel } from './kernel.js';
import common from '../../shaders/common.wgsl?raw';
import { wgslConstant } from './wgsl.js';

/** Threads per workgroup of the 1-D kernels (shaders/common.wgsl's WG). */
export const WG = wgslConstant(common, 'WG');

/** Workgroup counts covering n threads of a 1-D kernel (its @workgroup_size x from the WGSL); beyond the
 *  per-dimension limit it spills into y (kernels index as gid.x + gid.y * num_workgroups.x * workgroupSize). */
export function grid(ctx: Context, n: number, kernel: Kernel | number = WG): [number, number] {
  const size = typeof kernel === 'number' ? kernel : kernel.entry?.workgroupSize[0] ?? NaN;
  if (!(size >= 1)) throw new Error(`grid: kernel ${typeof kernel === 'number' ? size : kernel.label} has no fixed workgroup size`);
  const groups = Math.ceil(n / size);
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  return groups <= max ? [groups, 1] : [max, Math.ceil(groups / max)];
}

/** Workgroup counts for one workgroup per row (x first, spilling into y). */
export function rowGrid(ctx: Context, rows: number): [number, number] {
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  return rows <= max ? [rows, 1] : [max, Math.ceil(rows / max)];
}
