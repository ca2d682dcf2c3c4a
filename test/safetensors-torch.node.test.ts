// Node only: checks a file written by PyTorch's safetensors against values dumped to JSON
// alongside it (torch_state.json: { name: { shape: number[], data: number[] (flat) } }).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, saveSafetensors } from '../src/io/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const tensorsPath = fixture('torch_state.safetensors');
const expectedPath = fixture('torch_state.json');

describe('safetensors written by PyTorch', () => {
  it('loads every tensor with its shape and values', () => {
    const expected = JSON.parse(readFileSync(expectedPath, 'utf8')) as Record<string, { shape: number[]; data: number[] }>;
    const loaded = loadSafetensors(new Uint8Array(readFileSync(tensorsPath)));
    expect(Object.keys(loaded.tensors).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, { shape, data }] of Object.entries(expected)) {
      expect(loaded.shapes[name], name).toEqual(shape);
      const actual = loaded.tensors[name]!;
      expect(actual.length, name).toBe(data.length);
      // JSON holds the float64 form of the stored values; float32 rounding makes them identical.
      const mismatches = data.flatMap((v, i) => (actual[i] === Math.fround(v) ? [] : [`[${i}] ${actual[i]} != ${v}`]));
      expect(mismatches, name).toEqual([]);
    }
  });

  it('is reproduced byte for byte when saved again (same header, ordering and padding)', () => {
    const original = new Uint8Array(readFileSync(tensorsPath));
    const { tensors, shapes, metadata } = loadSafetensors(original);
    const resaved = saveSafetensors(tensors, shapes, Object.keys(metadata).length > 0 ? metadata : undefined);
    expect(Buffer.from(resaved).equals(Buffer.from(original))).toBe(true);
  });
});
