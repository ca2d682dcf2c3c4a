// loadSafetensors against the reference's rules (huggingface/safetensors, safetensors/src/tensor.rs): its own
// unit-test vectors, and the cases issue 10 found the old JSON.parse-based loader accepting or mishandling.
import { describe, it, expect } from 'vitest';
import { checkFileSize, loadSafetensors, MAX_HEADER_BYTES, MAX_WEIGHTS_BYTES, saveSafetensors, SafetensorsError } from '../src/io/index.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** [u64 LE length][header][data], the length taken from the header unless given. */
function file(header: string | Uint8Array, data: Uint8Array | number = 0, declaredLength?: bigint): Uint8Array {
  const headerBytes = typeof header === 'string' ? utf8(header) : header;
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + headerBytes.length + body.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(body, 8 + headerBytes.length);
  return out;
}

function f32(values: number[]): Uint8Array {
  const view = new DataView(new ArrayBuffer(4 * values.length));
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return new Uint8Array(view.buffer);
}

function rejection(bytes: Uint8Array, options?: Parameters<typeof loadSafetensors>[1]): SafetensorsError {
  try {
    loadSafetensors(bytes, options);
  } catch (err) {
    expect(err).toBeInstanceOf(SafetensorsError);
    return err as SafetensorsError;
  }
  throw new Error('expected a SafetensorsError, but the file loaded');
}

const W = '"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';

describe('the reference crate\'s own test vectors', () => {
  it('accepts JSON whitespace after and before the header object (writers may pad for alignment)', () => {
    expect(Object.keys(loadSafetensors(file('{}\r \t\n')).tensors)).toEqual([]);
    expect(Object.keys(loadSafetensors(file('\t\n{}\r ')).tensors)).toEqual([]);
  });

  it('accepts a zero-sized tensor', () => {
    const { tensors, shapes } = loadSafetensors(file('{"test":{"dtype":"F32","shape":[2,0],"data_offsets":[0, 0]}}'));
    expect(tensors.test).toHaveLength(0);
    expect(shapes.test).toEqual([2, 0]);
  });

  it('rejects a size that disagrees with the shape, and a buffer with extra or missing bytes', () => {
    const info = '{"test":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}';
    expect(rejection(file('{"test":{"dtype":"F32","shape":[2,2],"data_offsets":[0, 4]}}', 4)).message).toMatch(/holds 4 bytes but shape \[2, 2\] of F32 needs 16/);
    expect(rejection(file(info, 16 + 34)).message).toMatch(/34 trailing bytes/);
    expect(rejection(file(info, 14)).message).toMatch(/data_offsets \[0, 16\] run past the 14-byte data buffer/);
  });

  it('rejects a header length over 100,000,000 before looking at the file', () => {
    const bytes = file(`{${W}}`, 4);
    bytes.set([0x3c, 0, 0, 0, 0, 0xff, 0xff, 0xff], 0); // the reference's test_header_too_large prefix
    expect(rejection(bytes).message).toBe(`header length ${0xffffff000000003cn} is over the format's limit of 100000000 bytes`);
  });

  it('rejects an empty file, a header running past the file, non-UTF-8 and non-JSON', () => {
    expect(rejection(new Uint8Array(0)).message).toMatch(/file is 0 bytes/);
    expect(rejection(file('', 0, 60n)).message).toMatch(/header length 60 runs past the end of the file \(0 bytes/);
    expect(rejection(file(new Uint8Array([0xff]))).message).toMatch(/not valid UTF-8/);
    expect(rejection(file('{')).message).toMatch(/not valid JSON: expected a string key but found the end of the header at character 1/);
  });

  it('rejects a shape whose element count or byte size overflows 64 bits', () => {
    const overflow = (shape: string) => file(`{"test":{"dtype":"F32","shape":${shape},"data_offsets":[0,16]}}`, 16);
    expect(rejection(overflow('[2,18446744073709551614]')).message).toMatch(/shape \[2, 18446744073709551614\] has more than 2\^64 - 1 elements/);
    expect(rejection(overflow('[2,9223372036854775807]')).message).toMatch(/of F32 needs more than 2\^64 - 1 bytes/);
  });
});

describe('issue 10: what the JSON.parse-based loader accepted', () => {
  it('a 100,000,001-byte header is refused; 100,000,000 bytes are the most the format allows', () => {
    const bytes = new Uint8Array(8 + MAX_HEADER_BYTES + 1).fill(0x20);
    bytes.set(utf8('{}'), 8);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
    expect(rejection(bytes, { maxBytes: Infinity }).message).toBe("header length 100000001 is over the format's limit of 100000000 bytes");
    view.setBigUint64(0, BigInt(MAX_HEADER_BYTES), true);
    expect(Object.keys(loadSafetensors(bytes.subarray(0, 8 + MAX_HEADER_BYTES), { maxBytes: Infinity }).tensors)).toEqual([]);
  });

  it('a tensor name given twice is refused (JSON.parse kept the last)', () => {
    expect(rejection(file(`{${W},${W}}`, 4)).message).toBe('tensor "w" appears twice');
    expect(rejection(file('{"__metadata__":{},"__metadata__":{}}')).message).toBe('"__metadata__" appears twice');
    expect(rejection(file('{"__metadata__":{"k":"a","k":"b"}}')).message).toBe('metadata key "k" appears twice');
  });

  it('a field given twice inside an entry is refused ("dtype":"I64","dtype":"F32" loaded as F32)', () => {
    const twice = file('{"w":{"dtype":"I64","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4);
    expect(rejection(twice).message).toBe('tensor "w": field "dtype" appears twice');
    expect(rejection(file('{"w":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}}', 4)).message).toMatch(/field "shape" appears twice/);
  });

  it('a byte-order mark before "{" is refused, as serde_json refuses it', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(`{${W}}`)]);
    expect(rejection(file(bom, f32([1]))).message).toBe('header is not valid JSON: expected a value but found a byte-order mark (U+FEFF) at character 0');
  });

  it.each(['4.0', '4e0', '4E+0', '-0', '-4', '04', '18446744073709551616'])('%s is not an integer offset or dim', (n) => {
    expect(rejection(file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,${n}]}}`, 4)).message).toMatch(
      /tensor "w": data_offsets must be two non-negative integers below 2\^64, got \[0,|not valid JSON/,
    );
    const dim = n === '4.0' || n === '4e0' || n === '4E+0' ? n.replace('4', '1') : n;
    expect(rejection(file(`{"w":{"dtype":"F32","shape":[${dim}],"data_offsets":[0,4]}}`, 4)).message).toMatch(
      /tensor "w": shape must be an array of non-negative integers below 2\^64, got \[|not valid JSON/,
    );
  });

  it('an empty tensor whose dims multiply past 2^64 is refused (float products made it 0)', () => {
    const bytes = file('{"e":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}');
    expect(rejection(bytes).message).toBe('tensor "e": shape [4294967296, 4294967296, 0] has more than 2^64 - 1 elements');
    // The same dims in the other order never overflow on the way, so the reference accepts them; JS numbers
    // cannot hold 2^64 - 1 exactly, so this loader refuses, by name.
    expect(rejection(file('{"e":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}}')).message).toBe(
      'tensor "e": dimension 18446744073709551615 is larger than 2^53 - 1, which this loader cannot represent',
    );
  });

  it('"__metadata__": null is no metadata, as the reference (an Option) reads it', () => {
    const loaded = loadSafetensors(file(`{"__metadata__":null,${W}}`, f32([2])));
    expect(Object.keys(loaded.metadata)).toEqual([]);
    expect(Array.from(loaded.tensors.w!)).toEqual([2]);
    expect(rejection(file('{"__metadata__":[]}')).message).toBe('"__metadata__" must be an object or null, got []');
    expect(rejection(file('{"__metadata__":{"k":null}}')).message).toBe('metadata value for "k" must be a string, got null');
  });

  it('a header nested 5,000 deep gets an error message instead of a stack overflow', () => {
    const deep = `{"w":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(rejection(file(deep)).message).toBe('header is not valid JSON: nested more than 64 levels deep at character 68');
    // Within the limit, the message quotes a bounded piece of the value rather than serializing it whole.
    const nested = `{"w":${'['.repeat(60)}${'1,'.repeat(3000)}1${']'.repeat(60)}}`;
    expect(rejection(file(nested)).message).toBe(`tensor "w": entry must be an object, got ${'['.repeat(57)}...`);
  });

  it('names like "__proto__" and "constructor" are ordinary keys of null-prototype records', () => {
    const header = '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"constructor":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}';
    const loaded = loadSafetensors(file(header, f32([5, 6])));
    for (const record of [loaded.tensors, loaded.shapes, loaded.metadata]) expect(Object.getPrototypeOf(record)).toBeNull();
    expect(Object.keys(loaded.tensors).sort()).toEqual(['__proto__', 'constructor']);
    expect(Array.from(loaded.tensors['__proto__']!)).toEqual([5]);
    expect(Array.from(loaded.tensors['constructor']!)).toEqual([6]);
    expect(loaded.shapes['constructor']).toEqual([]);
    expect(loaded.tensors['toString']).toBeUndefined(); // nothing inherited: a missing name reads as missing
  });

  it('unknown fields inside an entry are ignored, as serde ignores them; the array form of an entry is refused', () => {
    const extra = file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"note":{"a":[1,{"b":null}]}}}', f32([3]));
    expect(Array.from(loadSafetensors(extra).tensors.w!)).toEqual([3]);
    expect(rejection(file('{"w":["F32",[1],[0,4]]}', 4)).message).toBe('tensor "w": entry must be an object, got ["F32",[1],[0,4]]');
  });

  it('strict JSON: no trailing commas, comments, NUL padding, lone surrogates or raw control characters', () => {
    const cases: [string, RegExp][] = [
      [`{${W},}`, /expected a string key but found '}'/],
      [`{${W}} // c`, /unexpected '\/' after the top-level value/],
      [`{${W}}\u0000\u0000`, /unexpected U\+0000 after the top-level value/],
      ['{"\\ud800":{}}', /unpaired high surrogate escape/],
      ['{"\\udc00":{}}', /unpaired low surrogate escape/],
      ['{"a\tb":{}}', /control character U\+0009 inside a string/],
      ['{"a\\x":{}}', /invalid escape '\\x'/],
      ["{'w':{}}", /expected a string key but found '''/],
      ['{"w":tru}', /expected a value but found 't'/],
    ];
    for (const [header, message] of cases) expect(rejection(file(header, 4)).message, header).toMatch(message);
    // Escapes decode: "\u00e9" and a surrogate pair name the same tensors as the raw characters.
    const escaped = loadSafetensors(file('{"\\u00e9\\ud83d\\ude00":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32([1])));
    expect(Object.keys(escaped.tensors)).toEqual(['é😀']);
  });
});

describe('non-finite weights', () => {
  it.each([
    ['F32', NaN],
    ['F32', Infinity],
    ['F32', -Infinity],
  ])('%s %s is refused at load, naming the tensor and element', (_dtype, value) => {
    const bytes = file('{"rnn.bias":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}', f32([0, 1, value]));
    expect(rejection(bytes).message).toBe(
      `tensor "rnn.bias": element 2 is ${value}; non-finite weights are refused (pass { allowNonFinite: true } to load them)`,
    );
    expect(Object.is(loadSafetensors(bytes, { allowNonFinite: true }).tensors['rnn.bias']![2], value)).toBe(true);
  });

  it('an F64 value beyond the float32 range is refused as an overflow', () => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setFloat64(0, -1e300, true);
    expect(rejection(file('{"d":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}', data)).message).toBe(
      'tensor "d": element 0 (-1e+300) is beyond the float32 range; pass { allowNonFinite: true } to load it as -Infinity',
    );
  });

  it('saveSafetensors refuses them too, and checks names, shapes and metadata', () => {
    expect(() => saveSafetensors({ w: new Float32Array([1, NaN]) }, { w: [2] })).toThrow(
      new SafetensorsError('tensor "w": element 1 is NaN; non-finite weights are refused (pass { allowNonFinite: true } to save them)'),
    );
    expect(loadSafetensors(saveSafetensors({ w: new Float32Array([NaN]) }, { w: [1] }, undefined, { allowNonFinite: true }), { allowNonFinite: true }).tensors.w![0]).toBeNaN();
    expect(() => saveSafetensors({ '\ud800': new Float32Array(1) }, { '\ud800': [1] })).toThrow(/unpaired surrogate/);
    expect(() => saveSafetensors({ w: new Float32Array(1) }, { w: [1] }, { k: '\udc00' })).toThrow(/metadata "k" holds an unpaired surrogate/);
    expect(() => saveSafetensors({ w: new Float32Array(1) }, { w: [1.5] as number[] })).toThrow(/tensor "w": shape must be an array of non-negative integers, got \[1.5\]/);
    expect(() => saveSafetensors({ w: new Float32Array(1) }, { w: [NaN] })).toThrow(/got \[NaN\]/);
    expect(() => saveSafetensors(null as unknown as Record<string, Float32Array>, {})).toThrow(SafetensorsError);
    // An empty tensor whose dims overflow 64 bits on the way would be written, then refused by every reader.
    expect(() => saveSafetensors({ e: new Float32Array(0) }, { e: [2 ** 40, 2 ** 40, 0] })).toThrow(
      new SafetensorsError('tensor "e": shape [1099511627776, 1099511627776, 0] has more than 2^64 - 1 elements'),
    );
    expect(Array.from(loadSafetensors(saveSafetensors({ e: new Float32Array(0) }, { e: [2 ** 30, 2 ** 30, 0] })).shapes.e!)).toEqual([2 ** 30, 2 ** 30, 0]);
  });

  it('saveSafetensors writes integer-like names in name order, as the Python library does', () => {
    const bytes = saveSafetensors({ b: new Float32Array([1]), '10': new Float32Array([2]), '2': new Float32Array([3]) }, { b: [1], '10': [1], '2': [1] });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)).trimEnd();
    expect(header).toBe(
      '{"10":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"2":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}',
    );
  });
});

describe('size caps', () => {
  it('loadSafetensors refuses a file over maxBytes (default MAX_WEIGHTS_BYTES) before parsing it', () => {
    const bytes = saveSafetensors({ w: new Float32Array(4) }, { w: [4] });
    expect(rejection(bytes, { maxBytes: 64 }).message).toBe(`file is ${bytes.length} bytes, over the limit of 64 bytes (options.maxBytes)`);
    expect(MAX_WEIGHTS_BYTES).toBe(256 * 2 ** 20);
    expect(() => loadSafetensors(bytes, { maxBytes: NaN })).toThrow(RangeError);
  });

  it('checkFileSize names the file, its size and the limit', () => {
    expect(() => checkFileSize(300 * 2 ** 20, MAX_WEIGHTS_BYTES, 'weights file "big.safetensors"')).toThrow(
      new RangeError('weights file "big.safetensors" is 300.0 MiB (314572800 bytes), over the limit of 256.0 MiB (268435456 bytes)'),
    );
    expect(() => checkFileSize(MAX_WEIGHTS_BYTES, MAX_WEIGHTS_BYTES, 'x')).not.toThrow();
    expect(() => checkFileSize(-1, 10, 'corpus')).toThrow(/corpus reports an invalid size/);
  });
});
