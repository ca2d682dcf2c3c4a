// Reading a GPU buffer back to the CPU through a staging buffer, with the errors that explain a failure.
import { BufferUsage, MapModeRead } from './gpu-constants.js';
import type { Context } from './context.js';

/** Copies a buffer's first `bytes` bytes to the CPU (submitting what is pending first). */
export async function readBuffer(ctx: Context, buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  ctx.assertUsable();
  const size = Math.max(4, Math.ceil(bytes / 4) * 4);
  const staging = ctx.device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: 'read-back' });
  ctx.copyBuffer(buffer, 0, staging, 0, size);
  try {
    ctx.flush();
  } catch (error) {
    // An error already seen may be the consequence of one still being checked (a compile error is
    // reported after the bind groups made from its pipeline fail): let the checks settle, cause first.
    await ctx.checkErrors();
    throw error;
  }
  try {
    try {
      await staging.mapAsync(MapModeRead);
    } catch (error) {
      throw await ctx.explainGpuFailure(error, `reading ${bytes} bytes back from the GPU`);
    }
    const copy = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    await ctx.checkErrors();
    return copy;
  } finally {
    staging.destroy();
  }
}
