// Device set-up: the adapter, the features and limits the kernels need, and what kind of adapter it is.
import { WebGPUUnavailableError } from './errors.js';

export interface InitOptions {
  /** A GPU object: navigator.gpu in browsers, create([]) from the 'webgpu' package in Node. */
  gpu?: GPU;
  /** An existing device: webrnn then shares it and never destroys it. */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  /** Device features the context needs, e.g. ['timestamp-query'] for startGpuTimer(); each must be on the adapter. */
  requiredFeatures?: GPUFeatureName[];
  /** Device features asked for only where the adapter has them (see context.device.features for what came). */
  optionalFeatures?: GPUFeatureName[];
  /**
   * Most bytes the context's live buffers may hold together (default: no cap). Layers and models check their
   * training footprint against it when built, tensors when made, so an oversized model is refused up front
   * with a RangeError rather than failing on a device that runs out of memory.
   */
  memoryBudget?: number;
}

/** Limits the kernels need; asked for up to what the adapter offers. */
const WANTED_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** A new device from the options; `keepAlive` are the objects the device needs kept reachable. */
export async function requestDevice(options: InitOptions): Promise<{ device: GPUDevice; info: GPUAdapterInfo | null; keepAlive: unknown[] }> {
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) throw new WebGPUUnavailableError('this environment has no navigator.gpu');
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  } catch (e) {
    throw new WebGPUUnavailableError(`requestAdapter failed (${(e as Error).message})`);
  }
  if (!adapter) throw new WebGPUUnavailableError('no GPU adapter was found (the GPU may be blocklisted or disabled)');
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const missing = (options.requiredFeatures ?? []).filter((f) => !adapter.features.has(f));
  if (missing.length) {
    throw new RangeError(`init: this adapter lacks the feature(s) ${missing.join(', ')} (it has: ${[...adapter.features].sort().join(', ') || 'none'})`);
  }
  const wanted = [...(options.requiredFeatures ?? []), ...(options.optionalFeatures ?? []).filter((f) => adapter.features.has(f))];
  const device = await adapter.requestDevice({ label: 'webrnn', requiredLimits, requiredFeatures: [...new Set(wanted)] });
  // The context keeps the GPU object and adapter alive: in Node, a collected GPU object tears Dawn down
  // under the device (a native crash at the next map).
  return { device, info: adapter.info ?? null, keepAlive: [gpu, adapter] };
}

/** A CPU-emulated adapter (SwiftShader, llvmpipe, lavapipe). */
export function isSoftwareAdapter(info: GPUAdapterInfo | null): boolean {
  if (!info) return false;
  if ((info as { isFallbackAdapter?: boolean }).isFallbackAdapter) return true;
  return /swiftshader|llvmpipe|lavapipe|software/i.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
}

/** The adapter's name from its info: vendor, architecture, device and description joined by `separator`, empty
 *  fields left out; '' when nothing is known (the caller says what to show then). The one way the bench, the
 *  CLI and the demo name an adapter. */
export function describeAdapter(info: GPUAdapterInfo | null | undefined, separator = ' / '): string {
  if (!info) return '';
  return [info.vendor, info.architecture, info.device, info.description]
    .filter((s) => typeof s === 'string' && s.trim().length > 0)
    .join(separator);
}
