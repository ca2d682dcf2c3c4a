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
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GPUError';
  }
}
