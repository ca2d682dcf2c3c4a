// A dispatch's resources by name: checked against the entry point's WGSL interface before anything is
// encoded, then turned into a cached bind group (storage buffers plus an immutable uniform made from the
// named params, floats encoded by the struct's field types).
import { BufferUsage } from './gpu-constants.js';
import type { BufferPool } from './pool.js';
import type { Kernel } from './kernel.js';
import { Tensor } from './tensor.js';

/** A buffer bound to a kernel: a whole buffer, or a tensor's. */
export type Binding = GPUBuffer | Tensor;
/** Storage bindings by their WGSL variable names. */
export type Bindings = Readonly<Record<string, Binding>>;
/** Uniform struct fields by name (u32 / i32: integers; f32: any number). */
export type Params = Readonly<Record<string, number>>;

/** The bit pattern of a float32, as the uniform's u32 word holds it. */
const f32buf = new Float32Array(1);
const u32view = new Uint32Array(f32buf.buffer);
export function f32bits(x: number): number {
  f32buf[0] = x;
  return u32view[0];
}

const list = (names: readonly string[]): string => names.join(', ') || 'none';

/** The context a dispatch runs on, as the checks name it. */
export interface DispatchOwner { readonly id: number }

/**
 * Checks `bindings` and `params` against what the kernel's entry point uses, and returns the buffers in
 * binding order and the params as u32 words. Throws an Error naming the kernel and the binding or field, or
 * naming both contexts when a tensor belongs to another context than `owner` (the one dispatching).
 */
export function resolveResources(kernel: Kernel, bindings: Bindings, params: Params | undefined, owner: DispatchOwner): {
  buffers: { binding: number; buffer: GPUBuffer }[];
  uniform: { binding: number; words: Uint32Array } | null;
} {
  const iface = kernel.entry;
  if (!iface) throw new Error(`kernel ${kernel.label}: ${kernel.spec.file} has no entry point ${kernel.spec.entry}`);
  const declared = iface.bindings.map((b) => b.name);
  for (const name of Object.keys(bindings)) {
    if (!declared.includes(name)) {
      throw new Error(`kernel ${kernel.label}: '${name}' is not a binding its entry point uses (it uses: ${list(declared)})`);
    }
  }
  const buffers = iface.bindings.map((decl) => {
    const b = bindings[decl.name];
    if (b === undefined || b === null) throw new Error(`kernel ${kernel.label}: binding '${decl.name}' is missing`);
    if (b instanceof Tensor) {
      if (b.ctx !== owner) {
        throw new Error(
          `kernel ${kernel.label}: binding '${decl.name}' is a tensor of webrnn context #${b.ctx.id}, but the dispatch runs on ` +
            `context #${owner.id}; an op's tensors must all come from one context (copy across with ctx.tensor(await t.read(), t.shape))`,
        );
      }
      return { binding: decl.binding, buffer: b.buffer };
    }
    if (typeof (b as GPUBuffer).size !== 'number') throw new TypeError(`kernel ${kernel.label}: binding '${decl.name}' is not a tensor or GPU buffer`);
    return { binding: decl.binding, buffer: b as GPUBuffer };
  });
  const uniform = iface.uniform;
  if (!uniform) {
    if (params && Object.keys(params).length) {
      throw new Error(`kernel ${kernel.label}: its entry point reads no uniform, but got params ${list(Object.keys(params))}`);
    }
    return { buffers, uniform: null };
  }
  if (!params) throw new Error(`kernel ${kernel.label}: params ${uniform.struct} { ${list(uniform.fields.map((f) => f.name))} } are missing`);
  const names = uniform.fields.map((f) => f.name);
  for (const name of Object.keys(params)) {
    if (!names.includes(name)) throw new Error(`kernel ${kernel.label}: '${name}' is not a field of ${uniform.struct} (its fields: ${list(names)})`);
  }
  const words = new Uint32Array(uniform.fields.length);
  uniform.fields.forEach((f, i) => {
    const v = params[f.name];
    if (v === undefined) throw new Error(`kernel ${kernel.label}: param '${f.name}' of ${uniform.struct} is missing`);
    if (typeof v !== 'number') throw new TypeError(`kernel ${kernel.label}: param '${f.name}' must be a number, got ${typeof v}`);
    if (f.type === 'f32') {
      words[i] = f32bits(v);
    } else {
      const [lo, hi] = f.type === 'u32' ? [0, 0xffffffff] : [-0x80000000, 0x7fffffff];
      if (!Number.isInteger(v) || v < lo || v > hi) {
        throw new TypeError(`kernel ${kernel.label}: param '${f.name}' is ${f.type}, got ${v}`);
      }
      words[i] = v >>> 0;
    }
  });
  return { buffers, uniform: { binding: uniform.decl.binding, words } };
}

/** A dispatch's bind group with what it binds: its storage buffers (in binding order, then the uniform) and the
 *  uniform's words. */
export interface ResolvedGroup {
  group: GPUBindGroup;
  buffers: { binding: number; buffer: GPUBuffer }[];
  uniform: GPUBuffer | null;
  uniformWords: Uint32Array | null;
}

/** Immutable uniform buffers cached by content (a training step reuses the same few hundred) and the bind
 *  groups made from them. Past `limit` uniforms the cache starts over; dropped buffers go after the next submit. */
export class BindGroupCache {
  private readonly uniforms = new Map<string, GPUBuffer>();
  private readonly groups = new Map<string, GPUBindGroup>();
  /** Uniforms captured steps hold (capture.ts), with how many captures hold each. */
  private readonly pinned = new Map<GPUBuffer, number>();
  /** Pinned uniforms a cache reset dropped: retired when unpinned. */
  private readonly orphans = new Set<GPUBuffer>();
  /** Bind groups created (not found in the cache). */
  created = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly pool: BufferPool,
    private readonly retire: (buffers: GPUBuffer[]) => void,
  ) {}

  get uniformCount(): number {
    return this.uniforms.size;
  }

  bindGroup(kernel: Kernel, bindings: Bindings, params: Params | undefined, owner: DispatchOwner, uniformLimit: number): ResolvedGroup {
    const { buffers, uniform } = resolveResources(kernel, bindings, params, owner);
    const uniformBuffer = uniform ? this.uniform(uniform.words, uniformLimit) : null;
    if (uniform) buffers.push({ binding: uniform.binding, buffer: uniformBuffer! });
    let key = `${kernel.id}`;
    for (const b of buffers) key += `,${b.binding}:${this.pool.idOf(b.buffer)}`;
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size > 20000) this.groups.clear();
      const entries = buffers.map(({ binding, buffer }) => ({ binding, resource: { buffer } }));
      group = this.device.createBindGroup({ label: kernel.label, layout: kernel.layout, entries });
      this.created++;
      this.groups.set(key, group);
    }
    return { group, buffers, uniform: uniformBuffer, uniformWords: uniform?.words ?? null };
  }

  /** Keeps a uniform buffer alive past a cache reset (a captured step's bind groups name it) until unpin(). */
  pin(buffer: GPUBuffer): void {
    this.pinned.set(buffer, (this.pinned.get(buffer) ?? 0) + 1);
  }

  unpin(buffer: GPUBuffer): void {
    const n = this.pinned.get(buffer);
    if (n === undefined) return;
    if (n > 1) {
      this.pinned.set(buffer, n - 1);
      return;
    }
    this.pinned.delete(buffer);
    if (this.orphans.delete(buffer)) this.retire([buffer]);
  }

  private uniform(words: Uint32Array, limit: number): GPUBuffer {
    const key = words.join(',');
    let buffer = this.uniforms.get(key);
    if (!buffer) {
      if (this.uniforms.size >= limit) this.clear(true);
      const size = Math.max(16, Math.ceil((words.length * 4) / 16) * 16);
      buffer = this.device.createBuffer({ size, usage: BufferUsage.UNIFORM, mappedAtCreation: true, label: 'params' });
      new Uint32Array(buffer.getMappedRange()).set(words);
      buffer.unmap();
      this.pool.idOf(buffer);
      this.uniforms.set(key, buffer);
    }
    return buffer;
  }

  /** Drops everything cached: the uniforms are retired (still named by unsubmitted commands) or destroyed. */
  clear(retire: boolean): void {
    if (retire) {
      const dropped = [...this.uniforms.values()].filter((u) => !this.pinned.has(u));
      for (const u of this.uniforms.values()) if (this.pinned.has(u)) this.orphans.add(u);
      this.retire(dropped);
    } else {
      // The context is going away: pinned ones too.
      for (const u of new Set([...this.uniforms.values(), ...this.orphans])) u.destroy();
      this.pinned.clear();
      this.orphans.clear();
    }
    this.uniforms.clear();
    this.groups.clear();
  }
}
