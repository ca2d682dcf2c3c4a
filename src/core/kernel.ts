// Compiled kernels: one shader module per WGSL file (parsed once for its interface), one pipeline per entry
// point and override constants, with compile errors tracked and reported as file:line:col.
import { GPUError } from './errors.js';
import type { ErrorLog } from './error-log.js';
import { entryInterface, reflectWgsl, type EntryInterface, type WgslReflection } from './wgsl.js';

/**
 * One compute program: a WGSL file, an entry point and override constants. Each distinct spec compiles once
 * per context; its label (file:entry{constants}) names the kernel in every error.
 */
export interface KernelSpec {
  /** The WGSL file name under shaders/, e.g. 'matmul.wgsl' (used in labels and error messages). */
  file: string;
  /** The file's text (imported with `?raw`). */
  source: string;
  /** Entry point, e.g. 'matmul_forward'. */
  entry: string;
  /** WGSL `override` constants. */
  constants?: Record<string, number>;
}

export interface Kernel {
  /** file:entry{constants}: the cache key and the name in errors. */
  readonly label: string;
  readonly spec: KernelSpec;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  /** The bindings and uniform fields the entry point uses; null when the file has no such entry point. */
  readonly entry: EntryInterface | null;
  readonly id: number;
}

export function kernelLabel(spec: KernelSpec): string {
  const constants = spec.constants
    ? Object.keys(spec.constants)
        .sort()
        .map((k) => `${k}=${spec.constants![k]}`)
        .join(',')
    : '';
  return `${spec.file}:${spec.entry}${constants ? `{${constants}}` : ''}`;
}

/** Formats WGSL compilation messages as `file:line:col: message`. */
export function formatCompilationMessages(file: string, messages: readonly GPUCompilationMessage[]): string {
  return messages
    .filter((m) => m.type === 'error')
    .map((m) => `${file}:${m.lineNum}:${m.linePos}: ${m.message}`)
    .join('\n');
}

export class KernelCache {
  private readonly kernels = new Map<string, Kernel>();
  private readonly modules = new Map<string, { module: GPUShaderModule; reflection: WgslReflection }>();
  private readonly failed = new Map<Kernel, GPUError>();
  private ids = 0;

  constructor(private readonly device: GPUDevice, private readonly errors: ErrorLog) {}

  get(spec: KernelSpec): Kernel {
    const label = kernelLabel(spec);
    const cached = this.kernels.get(label);
    if (cached) return cached;
    const { module, reflection } = this.module(spec);
    const entry = entryInterface(reflection, spec.entry, spec.file);
    this.device.pushErrorScope('validation');
    const pipeline = this.device.createComputePipeline({
      label,
      layout: 'auto',
      compute: { module, entryPoint: spec.entry, constants: spec.constants },
    });
    const kernel: Kernel = { label, spec, pipeline, layout: pipeline.getBindGroupLayout(0), entry, id: ++this.ids };
    this.errors.track(
      this.device.popErrorScope().then(async (error) => {
        if (!error) return;
        // An invalid module makes every pipeline on it invalid: the module's own check reports that once.
        const where = formatCompilationMessages(spec.file, (await module.getCompilationInfo()).messages);
        const failure = new GPUError(`kernel ${label} failed to compile: ${where || error.message}`);
        this.failed.set(kernel, failure);
        if (!where) this.errors.pushCompileError(failure);
      }),
    );
    this.kernels.set(label, kernel);
    return kernel;
  }

  /** The compile error of a kernel known to be broken. */
  failure(kernel: Kernel): GPUError | undefined {
    return this.failed.get(kernel);
  }

  private module(spec: KernelSpec): { module: GPUShaderModule; reflection: WgslReflection } {
    let entry = this.modules.get(spec.file);
    if (entry) return entry;
    const reflection = reflectWgsl(spec.source, spec.file);
    // A WGSL error is reported once, for the module, as file:line:col (from getCompilationInfo).
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: spec.source, label: spec.file });
    this.errors.track(
      this.device.popErrorScope().then(async (error) => {
        if (!error) return;
        const where = formatCompilationMessages(spec.file, (await module.getCompilationInfo()).messages);
        this.errors.pushCompileError(new GPUError(`${spec.file} failed to compile:\n${where || error.message}`));
      }),
    );
    entry = { module, reflection };
    this.modules.set(spec.file, entry);
    return entry;
  }
}
