// Dispatch resources by name: the WGSL parser (core/wgsl.ts) and the checks ctx.dispatch makes against it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { entryInterface, reflectWgsl, withSnippets } from '../src/core/wgsl.js';
import { testContext } from './helpers.js';

const SOURCE = `
struct ScaleParams {
  n: u32,
  alpha: f32,   // a comment: with a colon
  offset: i32,
}
struct CountParams { n: u32 }

@group(0) @binding(0) var<uniform> sp: ScaleParams;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;   // [n]
@group(0) @binding(2) var<storage, read> inp: array<f32>;         // [n]
@group(0) @binding(3) var<storage, read> unused_here: array<f32>; // read by no entry below
@group(0) @binding(4) var<uniform> cp: CountParams;

const WG: u32 = 64u;
/* const NOT_A_CONSTANT: u32 = 1u; (in a block comment) */

fn load(i: u32) -> f32 { return inp[i] * sp.alpha + f32(sp.offset); }
fn helper(i: u32) -> f32 { return load(i); }

@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i < sp.n) { out[i] = helper(i); }
}

@compute @workgroup_size(8, 2)
fn zero(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x < cp.n) { out[gid.x] = 0.0; }
}
`;

describe('WGSL reflection', () => {
  const r = reflectWgsl(SOURCE, 'test.wgsl');

  it('reads bindings, structs and numeric constants, skipping comments', () => {
    expect([...r.bindings.keys()]).toEqual(['sp', 'out', 'inp', 'unused_here', 'cp']);
    expect(r.bindings.get('inp')).toMatchObject({ group: 0, binding: 2, space: 'storage', type: 'array<f32>' });
    expect(r.structs.get('ScaleParams')).toEqual([{ name: 'n', type: 'u32' }, { name: 'alpha', type: 'f32' }, { name: 'offset', type: 'i32' }]);
    expect(r.constants.get('WG')).toBe(64);
    expect(r.constants.has('NOT_A_CONSTANT')).toBe(false);
  });

  it('an entry point uses what its body and the functions it calls (transitively) name', () => {
    const scale = entryInterface(r, 'scale', 'test.wgsl')!;
    expect(scale.bindings.map((b) => b.name)).toEqual(['out', 'inp']);
    expect(scale.uniform?.decl.name).toBe('sp');
    expect(scale.uniform?.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['n:u32', 'alpha:f32', 'offset:i32']);
    expect(scale.workgroupSize).toEqual([64]);
    const zero = entryInterface(r, 'zero', 'test.wgsl')!;
    expect(zero.bindings.map((b) => b.name)).toEqual(['out']);
    expect(zero.uniform?.struct).toBe('CountParams');
    expect(zero.workgroupSize).toEqual([8, 2]);
    expect(entryInterface(r, 'nope')).toBeNull();
  });

  it('refuses a local that shadows a binding (the scan would miss the binding)', () => {
    const bad = `@group(0) @binding(0) var<storage, read_write> out: array<f32>;
      @compute @workgroup_size(1) fn main() { let out = 1.0; }`;
    expect(() => reflectWgsl(bad, 'bad.wgsl')).toThrow(/bad\.wgsl: fn main declares 'out'/);
  });

  it('an entry point reading two uniforms, or a non-scalar uniform field, is an error', () => {
    const two = `struct A { x: u32 } struct B { y: u32 }
      @group(0) @binding(0) var<uniform> a: A;
      @group(0) @binding(1) var<uniform> b: B;
      @compute @workgroup_size(1) fn main() { let s = a.x + b.y; }`;
    expect(() => entryInterface(reflectWgsl(two), 'main', 'two.wgsl')).toThrow(/two\.wgsl:main reads 2 uniforms/);
    const vec = `struct A { x: vec2f }
      @group(0) @binding(0) var<uniform> a: A;
      @compute @workgroup_size(1) fn main() { let s = a.x; }`;
    expect(() => entryInterface(reflectWgsl(vec), 'main', 'vec.wgsl')).toThrow(/A\.x is vec2f/);
  });

  it('snippets are appended, so the file keeps its own line numbers', () => {
    expect(withSnippets('a\nb', 'c')).toBe('a\nb\nc');
  });
});

describe('ctx.dispatch by name', () => {
  let ctx: wr.Context;
  beforeAll(async () => {
    ctx = await testContext();
  });
  afterAll(() => ctx?.destroy());

  const kernel = () => ctx.kernel({ file: 'test.wgsl', source: SOURCE, entry: 'scale' });

  it('binds by name and encodes each field by its WGSL type (f32 and a negative i32)', async () => {
    const inp = ctx.tensor([1, 2, 3], [3]);
    const out = ctx.empty([3]);
    ctx.dispatch(kernel(), [1], { out, inp }, { n: 3, alpha: 0.5, offset: -2 });
    expect(Array.from(await out.read())).toEqual([-1.5, -1, -0.5]);
    for (const t of [inp, out]) t.dispose();
  });

  it('a misspelt, missing, extra or wrongly typed name throws naming the kernel, before anything is encoded', () => {
    const inp = ctx.tensor([1, 2, 3], [3]);
    const out = ctx.empty([3]);
    const before = ctx.dispatchCount;
    const p = { n: 3, alpha: 1, offset: 0 };
    expect(() => ctx.dispatch(kernel(), [1], { out, inpt: inp }, p)).toThrow(/kernel test\.wgsl:scale: 'inpt' is not a binding its entry point uses \(it uses: out, inp\)/);
    expect(() => ctx.dispatch(kernel(), [1], { out }, p)).toThrow(/kernel test\.wgsl:scale: binding 'inp' is missing/);
    expect(() => ctx.dispatch(kernel(), [1], { out, inp, unused_here: inp }, p)).toThrow(/'unused_here' is not a binding/);
    expect(() => ctx.dispatch(kernel(), [1], { out, inp }, { n: 3, alpha: 1 })).toThrow(/param 'offset' of ScaleParams is missing/);
    expect(() => ctx.dispatch(kernel(), [1], { out, inp }, { ...p, alpah: 1 })).toThrow(/'alpah' is not a field of ScaleParams/);
    expect(() => ctx.dispatch(kernel(), [1], { out, inp })).toThrow(/params ScaleParams \{ n, alpha, offset \} are missing/);
    expect(() => ctx.dispatch(kernel(), [1], { out, inp }, { ...p, n: 2.5 })).toThrow(/param 'n' is u32, got 2\.5/);
    expect(() => ctx.dispatch(kernel(), [1], { out, inp }, { ...p, n: -1 })).toThrow(/param 'n' is u32, got -1/);
    expect(() => ctx.dispatch(kernel(), [1], { out, inp }, { ...p, offset: 2 ** 31 })).toThrow(/param 'offset' is i32/);
    expect(() => ctx.dispatch(kernel(), [1], { out, inp }, { ...p, alpha: '1' as unknown as number })).toThrow(/param 'alpha' must be a number/);
    // Checked even when there is nothing to run.
    expect(() => ctx.dispatch(kernel(), [0], { out }, p)).toThrow(/binding 'inp' is missing/);
    const noUniform = ctx.kernel({ file: 'plain.wgsl', source: '@group(0) @binding(0) var<storage, read_write> o: array<f32>;\n@compute @workgroup_size(1) fn main() { o[0] = 1.0; }', entry: 'main' });
    expect(() => ctx.dispatch(noUniform, [1], { o: out }, { n: 1 })).toThrow(/kernel plain\.wgsl:main: its entry point reads no uniform, but got params n/);
    expect(ctx.dispatchCount).toBe(before);
    for (const t of [inp, out]) t.dispose();
  });
});
