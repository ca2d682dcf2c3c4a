import { describe, it, expect } from 'vitest';
import { loadSafetensors, saveSafetensors, SafetensorsError } from '../src/io/index.js';

/** Assembles a safetensors file by hand so malformed variants can be produced. */
function buildFile(header: unknown, data: Uint8Array = new Uint8Array(0), opts: { declaredLength?: number } = {}): Uint8Array {
  const json = typeof header === 'string' ? new TextEncoder().encode(header) : new TextEncoder().encode(JSON.stringify(header));
  return buildRaw(json, data, opts.declaredLength);
}

function buildRaw(headerBytes: Uint8Array, data: Uint8Array, declaredLength = headerBytes.length): Uint8Array {
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

function leBytes(kind: 'f32' | 'u16' | 'f64', values: number[]): Uint8Array {
  const size = kind === 'f64' ? 8 : kind === 'f32' ? 4 : 2;
  const view = new DataView(new ArrayBuffer(values.length * size));
  values.forEach((v, i) => {
    if (kind === 'f32') view.setFloat32(i * size, v, true);
    else if (kind === 'u16') view.setUint16(i * size, v, true);
    else view.setFloat64(i * size, v, true);
  });
  return new Uint8Array(view.buffer);
}

const f32 = (shape: number[], begin: number) => ({ dtype: 'F32', shape, data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)] });

function expectError(bytes: Uint8Array, message: RegExp): void {
  let caught: unknown;
  try {
    loadSafetensors(bytes);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SafetensorsError);
  expect((caught as Error).message).toMatch(message);
}

describe('saveSafetensors / loadSafetensors round trip', () => {
  const tensors = {
    'rnn.W_xh': new Float32Array([1, -2, 3.5, 0.1, 1e-30, -0]),
    'rnn.b_h': new Float32Array([Infinity, -Infinity]),
    'a.scalar': new Float32Array([42]),
    'empty': new Float32Array(0),
    'ünïcode': new Float32Array([7]),
  };
  const shapes = { 'rnn.W_xh': [2, 3], 'rnn.b_h': [2], 'a.scalar': [], 'empty': [0, 3], 'ünïcode': [1] };
  const metadata = { format: 'pt', vocab: '["a","b"]' };

  // Non-finite values round-trip only when both sides allow them (the default refuses them).
  const allowNonFinite = { allowNonFinite: true };

  it('restores every tensor bit for bit, with shapes and metadata', () => {
    const loaded = loadSafetensors(saveSafetensors(tensors, shapes, metadata, allowNonFinite), allowNonFinite);
    expect(Object.keys(loaded.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, data] of Object.entries(tensors)) {
      expect(loaded.tensors[name]).toBeInstanceOf(Float32Array);
      expect(Array.from(loaded.tensors[name]!)).toEqual(Array.from(data));
      expect(loaded.shapes[name]).toEqual(shapes[name as keyof typeof shapes]);
    }
    expect(Object.is(loaded.tensors['rnn.W_xh']![5], -0)).toBe(true);
    expect(loaded.metadata).toEqual(metadata);
  });

  it('writes a space-padded header with tensors laid out in name order', () => {
    const bytes = saveSafetensors(tensors, shapes, metadata, allowNonFinite);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    expect(headerText).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(headerText);
    expect(Object.keys(header)).toEqual(['__metadata__', 'a.scalar', 'empty', 'rnn.W_xh', 'rnn.b_h', 'ünïcode']);
    expect(header['a.scalar']).toEqual({ dtype: 'F32', shape: [], data_offsets: [0, 4] });
    expect(header['empty'].data_offsets).toEqual([4, 4]);
    expect(header['rnn.W_xh'].data_offsets).toEqual([4, 28]);
    expect(header['rnn.b_h'].data_offsets).toEqual([28, 36]);
    expect(header['ünïcode'].data_offsets).toEqual([36, 40]);
    expect(bytes.length).toBe(8 + headerLength + 40);
  });

  it('produces the exact bytes the Python library writes for a one-tensor file', () => {
    const bytes = saveSafetensors({ a: new Float32Array([1]) }, { a: [1] });
    const json = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expect(json.length).toBe(54);
    const expected = buildRaw(new TextEncoder().encode(json + '  '), new Uint8Array([0, 0, 0x80, 0x3f]));
    expect(Array.from(bytes)).toEqual(Array.from(expected));
  });

  it('reads from an unaligned view and from an ArrayBuffer, copying the data out', () => {
    const bytes = saveSafetensors({ w: new Float32Array([1.5, -2.25, 3]) }, { w: [3] });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 1);
    const view = shifted.subarray(1, 1 + bytes.length);
    const loaded = loadSafetensors(view);
    expect(Array.from(loaded.tensors.w!)).toEqual([1.5, -2.25, 3]);
    shifted.fill(0);
    expect(Array.from(loaded.tensors.w!)).toEqual([1.5, -2.25, 3]);
    const copy = bytes.slice();
    expect(Array.from(loadSafetensors(copy.buffer).tensors.w!)).toEqual([1.5, -2.25, 3]);
  });

  it('keeps a tensor named "__proto__" as an ordinary entry', () => {
    const loaded = loadSafetensors(saveSafetensors({ ['__proto__']: new Float32Array([5]) } as Record<string, Float32Array>, JSON.parse('{"__proto__":[1]}')));
    expect(Object.keys(loaded.tensors)).toEqual(['__proto__']);
    expect(Array.from(Object.getOwnPropertyDescriptor(loaded.tensors, '__proto__')!.value)).toEqual([5]);
  });

  it('omits __metadata__ when none is given and loads it as {}', () => {
    const bytes = saveSafetensors({ x: new Float32Array([1]) }, { x: [1] });
    expect(new TextDecoder().decode(bytes)).not.toContain('__metadata__');
    expect(loadSafetensors(bytes).metadata).toEqual({});
  });
});

describe('saveSafetensors validation', () => {
  it('names the entry whose data and shape disagree', () => {
    expect(() => saveSafetensors({ w: new Float32Array(6) }, { w: [2, 2] })).toThrow(
      new SafetensorsError('tensor "w": shape [2, 2] holds 4 values but data has 6'),
    );
    expect(() => saveSafetensors({ w: new Float32Array(1) }, {})).toThrow(/tensor "w" has data but no shape/);
    expect(() => saveSafetensors({}, { b: [1] })).toThrow(/tensor "b" has a shape but no data/);
    expect(() => saveSafetensors({ w: new Float32Array(1) }, { w: [-1] })).toThrow(/tensor "w": shape must be/);
    expect(() => saveSafetensors({ w: new Float64Array(1) as unknown as Float32Array }, { w: [1] })).toThrow(/Float32Array/);
    expect(() => saveSafetensors({ __metadata__: new Float32Array(1) }, { __metadata__: [1] })).toThrow(/reserved/);
    expect(() => saveSafetensors({}, {}, { n: 3 as unknown as string })).toThrow(/metadata value for "n"/);
  });
});

describe('loadSafetensors: other dtypes are converted to Float32', () => {
  it('widens F16 exactly, including subnormals, infinities and NaN', () => {
    const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x8000, 0x7e00, 0x3555];
    const file = buildFile({ h: { dtype: 'F16', shape: [10], data_offsets: [0, 20] } }, leBytes('u16', bits));
    const h = loadSafetensors(file, { allowNonFinite: true }).tensors.h!;
    expect(Array.from(h.subarray(0, 8))).toEqual([1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, Infinity, -Infinity, -0]);
    expect(Object.is(h[7], -0)).toBe(true);
    expect(h[8]).toBeNaN();
    expect(h[9]).toBe(0.333251953125);
  });

  it('widens BF16 by shifting the bits', () => {
    const file = buildFile({ b: { dtype: 'BF16', shape: [3], data_offsets: [0, 6] } }, leBytes('u16', [0x3f80, 0x4049, 0xc2f7]));
    expect(Array.from(loadSafetensors(file).tensors.b!)).toEqual([1, 3.140625, -123.5]);
  });

  it('rounds F64 to the nearest float32', () => {
    const file = buildFile({ d: { dtype: 'F64', shape: [1, 2], data_offsets: [0, 16] } }, leBytes('f64', [Math.PI, 1e300]));
    const loaded = loadSafetensors(file, { allowNonFinite: true });
    expect(Array.from(loaded.tensors.d!)).toEqual([Math.fround(Math.PI), Infinity]);
    expect(loaded.shapes.d).toEqual([1, 2]);
  });

  it('rejects other dtypes, naming the entry and dtype', () => {
    const file = buildFile({ steps: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
    expectError(file, /tensor "steps": unsupported dtype "I64" \(supported: F32, F16, BF16, F64\)/);
  });
});

describe('loadSafetensors rejects malformed files with a SafetensorsError', () => {
  const four = leBytes('f32', [1]);

  it('file shorter than 8 bytes', () => {
    expectError(new Uint8Array(5), /file is 5 bytes, shorter than the 8-byte header length prefix/);
  });

  it('header length past the end of the file', () => {
    expectError(buildFile({}, new Uint8Array(0), { declaredLength: 100 }), /header length 100 runs past the end of the file \(2 bytes/);
    // As in the reference, the 100,000,000-byte limit is checked before the file's length.
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
    expectError(huge, /header length 9223372036854775808 is over the format's limit of 100000000 bytes/);
  });

  it('header not UTF-8, not JSON, or not an object', () => {
    expectError(buildRaw(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), new Uint8Array(0)), /not valid UTF-8/);
    expectError(buildFile('{"a": '), /not valid JSON/);
    expectError(buildFile('[1, 2]'), /must be a JSON object, got \[1,2\]/);
    expectError(buildFile('null'), /must be a JSON object, got null/);
    expectError(buildFile({ __metadata__: { n: 3 } }), /metadata value for "n" must be a string/);
  });

  it('entry that is not an object or lacks dtype / shape / data_offsets', () => {
    expectError(buildFile({ w: 3 }), /tensor "w": entry must be an object/);
    expectError(buildFile({ w: { shape: [1], data_offsets: [0, 4] } }, four), /tensor "w": entry has no "dtype"/);
    expectError(buildFile({ w: { dtype: 'F32', data_offsets: [0, 4] } }, four), /tensor "w": entry has no "shape"/);
    expectError(buildFile({ w: { dtype: 'F32', shape: [1] } }, four), /tensor "w": entry has no "data_offsets"/);
    expectError(buildFile({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, four), /tensor "w": shape must be/);
  });

  it('offsets not integers, out of range, reversed, or the wrong size', () => {
    expectError(buildFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4.5] } }, four), /tensor "w": data_offsets must be two non-negative integers/);
    expectError(buildFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, four), /data_offsets must be two/);
    expectError(buildFile({ w: { dtype: 'F32', shape: [1], data_offsets: ['0', 4] } }, four), /data_offsets must be two/);
    expectError(buildFile({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, four), /tensor "w": data_offsets \[4, 8\] run past the 4-byte data buffer/);
    expectError(buildFile({ w: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, four), /tensor "w": data_offsets end 0 is before begin 4/);
    expectError(buildFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, four), /tensor "w": holds 4 bytes but shape \[2\] of F32 needs 8/);
  });

  it('entries overlapping, leaving holes, or leaving trailing bytes', () => {
    const eight = leBytes('f32', [1, 2]);
    expectError(buildFile({ a: f32([2], 0), b: f32([1], 4) }, eight), /tensor "b" \[4, 8\] overlaps tensor "a" \[0, 8\]/);
    expectError(buildFile({ a: f32([1], 4) }, eight), /hole: bytes \[0, 4\) belong to no tensor/);
    expectError(buildFile({ a: f32([1], 0), b: f32([1], 8) }, leBytes('f32', [1, 2, 3])), /hole: bytes \[4, 8\)/);
    expectError(buildFile({ a: f32([1], 0) }, eight), /4 trailing bytes that belong to no tensor/);
  });

  it('accepts entries listed out of order and zero-length entries between them', () => {
    const file = buildFile({ b: f32([1], 4), z: f32([0], 4), a: f32([1], 0) }, leBytes('f32', [1, 2]));
    const { tensors } = loadSafetensors(file);
    expect(Array.from(tensors.a!)).toEqual([1]);
    expect(Array.from(tensors.b!)).toEqual([2]);
    expect(tensors.z).toHaveLength(0);
  });
});
