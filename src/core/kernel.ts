/**
 * One compute program: a WGSL file, an entry point and override constants. The cache key is stable, so each
 * pipeline compiles once per context; the label (file:entry) names the kernel in every GPU error.
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
  readonly key: string;
  readonly label: string;
  readonly spec: KernelSpec;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly id: number;
}

export function kernelKey(spec: KernelSpec): string {
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
