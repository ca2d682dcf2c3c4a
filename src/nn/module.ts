// Module: parameters by PyTorch name, state dicts, zeroGrad, train/eval mode (torch.nn.Module's bookkeeping).
import type { Context } from '../core/context.js';
import { Parameter } from '../core/tensor.js';
import { numelOf, shapeString } from '../core/shape.js';
import { checkAllocation, type Allocation } from '../core/limits.js';
import { makeRng } from '../data/rng.js';

export abstract class Module {
  private readonly ownParams = new Map<string, Parameter>();
  private readonly children = new Map<string, Module>();
  /** Training mode (dropout active) or evaluation mode (identity); a new module trains, as in PyTorch. Set it
   *  with train() / eval(), which also set it on every child. */
  training = true;

  constructor(readonly ctx: Context) {}

  /** Sets training mode on this module and every child (torch.nn.Module.train); returns this. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError(`train: mode must be a boolean, got ${String(mode)}`);
    this.training = mode;
    for (const child of this.children.values()) child.train(mode);
    return this;
  }

  /** Evaluation mode: train(false). */
  eval(): this {
    return this.train(false);
  }

  protected registerParameter(name: string, p: Parameter): Parameter {
    this.ownParams.set(name, p);
    return p;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /**
   * Runs the part of a constructor that makes parameters and child modules: when it throws part-way (a device
   * lost, a limit hit), everything registered so far is disposed before the error goes on, so a failed
   * constructor leaves no buffer behind.
   */
  protected building<T>(build: () => T): T {
    try {
      return build();
    } catch (error) {
      for (const p of this.parameters()) p.dispose();
      throw error;
    }
  }

  /** Every parameter by its PyTorch state_dict name (children prefixed with 'child.'). */
  namedParameters(): Map<string, Parameter> {
    const out = new Map<string, Parameter>(this.ownParams);
    for (const [prefix, child] of this.children) {
      for (const [name, p] of child.namedParameters()) out.set(`${prefix}.${name}`, p);
    }
    return out;
  }

  parameters(): Parameter[] {
    return [...this.namedParameters().values()];
  }

  /** Shapes by name, e.g. for io.saveSafetensors. */
  parameterShapes(): Record<string, number[]> {
    const shapes: Record<string, number[]> = {};
    for (const [name, p] of this.namedParameters()) shapes[name] = [...p.shape];
    return shapes;
  }

  /** Clears gradients (PyTorch 2's default set_to_none=True: grads become null). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Frees every parameter and its gradient (the module is unusable afterwards); calling it again does nothing. */
  dispose(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
      p.dispose();
    }
  }

  async stateDict(): Promise<Record<string, Float32Array>> {
    const out: Record<string, Float32Array> = {};
    for (const [name, p] of this.namedParameters()) out[name] = (await p.read()) as Float32Array;
    return out;
  }

  /**
   * Loads weights by name. Every entry is checked before anything is written, so a bad state dict (missing,
   * unknown or wrongly sized entry) throws naming it and leaves the module as it was. With `shapes` (as
   * io.loadSafetensors returns them), each given shape must also be the parameter's exactly: a [3, 2] weight
   * does not load into a [2, 3] one.
   */
  loadStateDict(record: Record<string, Float32Array | ArrayLike<number>>, shapes?: Record<string, readonly number[]>): void {
    const named = this.namedParameters();
    const missing = [...named.keys()].filter((k) => record[k] == null);
    const unknown = Object.keys(record).filter((k) => !named.has(k));
    const problems: string[] = [];
    if (missing.length) problems.push(`missing: ${missing.join(', ')}`);
    if (unknown.length) problems.push(`unknown: ${unknown.join(', ')}`);
    for (const [name, p] of named) {
      const v = record[name];
      if (v == null) continue;
      if (typeof v !== 'object' || typeof v.length !== 'number') problems.push(`${name} is not an array of numbers`);
      else if (v.length !== p.numel) problems.push(`${name} has ${v.length} values, expected ${p.numel} for shape ${shapeString(p.shape)}`);
      const shape = shapes?.[name];
      if (shape && (shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i]))) {
        problems.push(`${name} has shape ${shapeString(shape)}, expected ${shapeString(p.shape)}`);
      }
    }
    if (problems.length) throw new RangeError(`loadStateDict: ${problems.join('; ')}`);
    for (const [name, p] of named) {
      const v = record[name];
      const data = v instanceof Float32Array ? v : Float32Array.from(v);
      this.ctx.writeBuffer(p.buffer, 0, data);
    }
  }
}

/** A parameter drawn from U(-bound, bound), as PyTorch's default initialisers do. Its size is checked before
 *  the CPU array is filled (layers check all their parameters together before making the first). */
export function uniformParameter(ctx: Context, shape: number[], bound: number, rng: () => number): Parameter {
  const n = numelOf(shape);
  checkAllocation(ctx, 'parameter', [[`a ${shapeString(shape)} parameter`, n]], 'the layer sizes');
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (2 * rng() - 1) * bound;
  return new Parameter(ctx.tensor(data, shape));
}

export function initRng(seed?: number): () => number {
  return seed === undefined ? Math.random : makeRng(seed);
}


/** A parameter to be made: its name, shape and the option that sizes it (for the size check's message). */
export interface ParameterSpec {
  name: string;
  shape: number[];
  lower: string;
}

/** The specs as checkAllocation lists them: 'weight_hh_l0 [64, 16]' and its elements. */
export function parameterAllocations(specs: readonly ParameterSpec[], prefix = ''): Allocation[] {
  return specs.map((s) => [`${prefix}${s.name} ${shapeString(s.shape)}`, numelOf(s.shape), s.lower]);
}
