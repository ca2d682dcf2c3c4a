// Widening conversions from the narrow/wide float formats safetensors files may hold.
// Reads are little-endian, as the format requires, regardless of the host's byte order.

/** IEEE 754 half precision bits → number (exact: every f16 value is representable in f32). */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero or subnormal
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

export function readF32(view: DataView, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  if (HOST_IS_LITTLE_ENDIAN) {
    // Byte copy: the source may not be 4-byte aligned, so it cannot be viewed directly.
    new Uint8Array(out.buffer).set(new Uint8Array(view.buffer, view.byteOffset + offset, count * 4));
  } else {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, true);
  }
  return out;
}

export function readF16(view: DataView, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = f16BitsToNumber(view.getUint16(offset + 2 * i, true));
  return out;
}

/** bfloat16 is the top half of a float32, so widening is a 16-bit shift of the bits. */
export function readBF16(view: DataView, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) bits[i] = view.getUint16(offset + 2 * i, true) << 16;
  return out;
}

/** Rounds each float64 to the nearest float32 (values beyond the f32 range become ±Infinity). */
export function readF64(view: DataView, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, true);
  return out;
}

export function writeF32(view: DataView, offset: number, data: Float32Array): void {
  if (HOST_IS_LITTLE_ENDIAN) {
    new Uint8Array(view.buffer, view.byteOffset + offset, data.byteLength).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
  } else {
    for (let i = 0; i < data.length; i++) view.setFloat32(offset + 4 * i, data[i]!, true);
  }
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
