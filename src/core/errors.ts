/** Thrown by `init()` when no WebGPU implementation or adapter can be found. */
export class WebGPUUnavailableError extends Error {
  constructor(detail: string) {
    super(
      `WebGPU is unavailable: ${detail}. ` +
        'Use Chrome or Edge 113+ (on Linux start it with --enable-unsafe-webgpu --enable-features=Vulkan), ' +
        'Safari 26+, or Firefox 141+ on Windows; in Node pass { gpu: create([]) } from the "webgpu" package.',
    );
    this.name = 'WebGPUUnavailableError';
  }
}

/** A GPU-side failure (validation error, shader compile error, device loss), naming the kernel or buffer. */
export class GPUError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GPUError';
  }
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function assertShape(shape: readonly number[], what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${what}: invalid shape ${shapeString(shape)}`);
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
