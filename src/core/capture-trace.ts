// One recorded run of a captured step (capture.ts): the commands it encoded, in order, ready to be encoded again,
// and a description of everything it did that a replay relies on (kernels, workgroup counts, params, which
// buffer each binding named, CPU writes, allocations, per-step hooks), so that two runs can be compared.
// Every buffer a command names is reserved in the pool and every uniform pinned from the moment it is recorded:
// nothing else can be handed it while the recording may still be replayed.
import type { BufferPool } from './pool.js';
import type { BindGroupCache, ResolvedGroup } from './bindings.js';
import type { Kernel } from './kernel.js';
import type { IdCheck } from './capture-ids.js';

export type Command =
  | { kind: 'dispatch'; kernel: Kernel; group: GPUBindGroup; x: number; y: number; z: number }
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; bytes: number };

/** Names of the storage bindings a WGSL file declares read_write, per source text (for the constant check). */
const writableCache = new Map<string, Set<string>>();
function writableBindings(source: string): Set<string> {
  let names = writableCache.get(source);
  if (!names) {
    names = new Set([...source.matchAll(/var\s*<\s*storage\s*,\s*read_write\s*>\s*(\w+)/g)].map((m) => m[1]));
    writableCache.set(source, names);
  }
  return names;
}

/** FNV-1a over bytes: CPU writes are compared between runs by length and hash. */
function hashBytes(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16);
}

export class Trace {
  readonly commands: Command[] = [];
  /** One line per event, in order, with buffers numbered by first appearance: equal for two runs that did the same. */
  readonly events: string[] = [];
  /** Code run before every replay (Context.eachStep): per-step values such as Adam's bias corrections. */
  readonly hooks: (() => void)[] = [];
  /** The ops' range checks of CPU-side ids (Context.checkIds), with the ids they checked. */
  readonly idChecks: { ids: Int32Array; check: IdCheck }[] = [];
  dispatches = 0;
  private readonly buffers = new Set<GPUBuffer>();
  private readonly uniforms = new Set<GPUBuffer>();
  private readonly numbers = new Map<GPUBuffer, number>();
  /** Buffers written from the CPU while recording, by event index (their data is a constant of the step). */
  private readonly cpuWritten = new Map<GPUBuffer, string>();
  private released = false;

  constructor(private readonly pool: BufferPool, private readonly bindGroups: BindGroupCache) {}

  dispatch(kernel: Kernel, resolved: ResolvedGroup, workgroups: readonly number[]): void {
    const [x, y = 1, z = 1] = workgroups;
    this.commands.push({ kind: 'dispatch', kernel, group: resolved.group, x, y, z });
    this.dispatches++;
    const writable = writableBindings(kernel.spec.source);
    const names = kernel.entry?.bindings ?? [];
    const parts: string[] = [];
    for (const { binding, buffer } of resolved.buffers) {
      if (buffer === resolved.uniform) continue;
      const name = names.find((b) => b.binding === binding)?.name ?? `@${binding}`;
      if (writable.has(name)) this.checkNotConstant(buffer, `kernel ${kernel.label} (binding '${name}')`);
      parts.push(`${name}=${this.use(buffer)}`);
    }
    if (resolved.uniform) {
      this.bindGroups.pin(resolved.uniform);
      this.uniforms.add(resolved.uniform);
    }
    const params = resolved.uniformWords ? ` params [${resolved.uniformWords.join(',')}]` : '';
    this.events.push(`dispatch ${kernel.label} × [${x}, ${y}, ${z}] ${parts.join(' ')}${params}`);
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.checkNotConstant(dst, 'a buffer copy');
    this.commands.push({ kind: 'copy', src, srcOffset, dst, dstOffset, bytes });
    this.events.push(`copy ${bytes} B from ${this.use(src)}+${srcOffset} to ${this.use(dst)}+${dstOffset}`);
  }

  /** A CPU write while recording: the data stays in its (reserved) buffer and is not written again per replay. */
  write(buffer: GPUBuffer, offset: number, data: ArrayBufferView): void {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const what = `write of ${bytes.length} B (hash ${hashBytes(bytes)}) into ${this.use(buffer)}+${offset}`;
    this.cpuWritten.set(buffer, `'${buffer.label}'`);
    this.events.push(what);
  }

  allocate(bytes: number, label: string): void {
    this.events.push(`allocate ${bytes} B ('${label}')`);
  }

  hook(update: () => void): void {
    this.hooks.push(update);
    this.events.push(`per-step update ${this.hooks.length}`);
  }

  idCheck(ids: Int32Array, check: IdCheck): void {
    this.idChecks.push({ ids, check });
  }

  /** Lets go of the buffers and uniforms this recording held. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const b of this.buffers) this.pool.unreserve(b);
    for (const u of this.uniforms) this.bindGroups.unpin(u);
    this.buffers.clear();
    this.uniforms.clear();
  }

  /** `#n (size B, 'label')`, numbering buffers by first appearance; reserves the buffer. */
  private use(buffer: GPUBuffer): string {
    let n = this.numbers.get(buffer);
    if (n === undefined) {
      n = this.numbers.size;
      this.numbers.set(buffer, n);
      this.buffers.add(buffer);
      this.pool.reserve(buffer);
    }
    return `#${n} (${buffer.size} B, '${buffer.label}')`;
  }

  private checkNotConstant(buffer: GPUBuffer, by: string): void {
    const label = this.cpuWritten.get(buffer);
    if (label !== undefined) {
      throw new Error(
        `capture: ${by} overwrites buffer ${label}, which was written from the CPU during the same step; a replay ` +
          'does not write that data again, so it would see what the GPU left there. Make the value a capture input ' +
          '(written at every replay) or write it in ctx.eachStep()',
      );
    }
  }
}

/** The first event where two recordings differ, described for an error message; null when they agree. */
export function firstDifference(a: Trace, b: Trace): string | null {
  const n = Math.max(a.events.length, b.events.length);
  for (let i = 0; i < n; i++) {
    if (a.events[i] !== b.events[i]) {
      return `event ${i + 1}: ${a.events[i] ?? '(nothing: the run ended)'}\n  then: ${b.events[i] ?? '(nothing: the run ended)'}`;
    }
  }
  return null;
}
