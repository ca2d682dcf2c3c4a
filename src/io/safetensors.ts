// Reader/writer for the safetensors format (https://github.com/huggingface/safetensors):
//   [u64 little-endian N][N bytes of JSON header, space-padded][data buffer]
// Header: { "__metadata__"?: {string: string}, name: { dtype, shape, data_offsets: [begin, end] } },
// offsets relative to the data buffer, which the tensors must cover exactly (no holes, no overlap).
import { readBF16, readF16, readF32, readF64, writeF32 } from './float-bits.js';

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

export interface LoadedSafetensors {
  tensors: Record<string, Float32Array>;
  shapes: Record<string, number[]>;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';

/** Readable dtypes and their byte sizes; all are widened/narrowed to Float32Array. */
const ITEM_SIZES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
const READERS: Record<string, (view: DataView, offset: number, count: number) => Float32Array> = {
  F32: readF32,
  F16: readF16,
  BF16: readBF16,
  F64: readF64,
};

/** Serializes Float32 tensors (dtype "F32"), laid out in name order like the Python library. */
export function saveSafetensors(
  record: Record<string, Float32Array>,
  shapes: Record<string, number[]>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = [...new Set([...Object.keys(record), ...Object.keys(shapes)])].sort(compareCodePoints);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) setOwn(header, METADATA_KEY, checkedMetadata(metadata));

  let dataLength = 0;
  for (const name of names) {
    const data = checkedData(record, shapes, name);
    setOwn(header, name, { dtype: 'F32', shape: [...shapes[name]!], data_offsets: [dataLength, dataLength + data.byteLength] });
    dataLength += data.byteLength;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8; // keeps the data buffer 8-byte aligned
  const bytes = new Uint8Array(8 + headerLength + dataLength);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength);

  let offset = 8 + headerLength;
  for (const name of names) {
    writeF32(view, offset, record[name]!);
    offset += record[name]!.byteLength;
  }
  return bytes;
}

/** Parses and fully validates a safetensors file before converting any tensor to Float32Array. */
export function loadSafetensors(input: Uint8Array | ArrayBuffer): LoadedSafetensors {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) {
    throw new SafetensorsError(`file is ${bytes.length} bytes, shorter than the 8-byte header length prefix`);
  }
  const declaredLength = view.getBigUint64(0, true);
  if (declaredLength > BigInt(bytes.length - 8)) {
    throw new SafetensorsError(
      `header length ${declaredLength} runs past the end of the file (${bytes.length - 8} bytes after the length prefix)`,
    );
  }
  const headerLength = Number(declaredLength);
  const header = parseHeader(bytes.subarray(8, 8 + headerLength));
  const dataStart = 8 + headerLength;
  const entries = parseEntries(header, bytes.length - dataStart);
  checkContiguous(entries, bytes.length - dataStart);

  const result: LoadedSafetensors = { tensors: {}, shapes: {}, metadata: parseMetadata(header[METADATA_KEY]) };
  for (const entry of entries) {
    setOwn(result.tensors, entry.name, READERS[entry.dtype]!(view, dataStart + entry.begin, entry.count));
    setOwn(result.shapes, entry.name, entry.shape);
  }
  return result;
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  count: number;
  begin: number;
  end: number;
}

function parseHeader(headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(`header is not valid JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(header)) {
    throw new SafetensorsError(`header must be a JSON object, got ${describeJson(header)}`);
  }
  return header;
}

function parseMetadata(raw: unknown): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (raw === undefined) return metadata;
  if (!isPlainObject(raw)) throw new SafetensorsError(`"${METADATA_KEY}" must be an object, got ${describeJson(raw)}`);
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(`metadata value for ${JSON.stringify(key)} must be a string, got ${describeJson(value)}`);
    }
    setOwn(metadata, key, value);
  }
  return metadata;
}

function parseEntries(header: Record<string, unknown>, dataLength: number): Entry[] {
  parseMetadata(header[METADATA_KEY]); // validate before anything else is trusted
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    const label = `tensor ${JSON.stringify(name)}`;
    if (!isPlainObject(raw)) throw new SafetensorsError(`${label}: entry must be an object, got ${describeJson(raw)}`);
    for (const field of ['dtype', 'shape', 'data_offsets']) {
      if (!(field in raw)) throw new SafetensorsError(`${label}: entry has no "${field}"`);
    }
    const { dtype, shape, data_offsets: offsets } = raw;
    if (typeof dtype !== 'string') throw new SafetensorsError(`${label}: dtype must be a string, got ${describeJson(dtype)}`);
    const itemSize = Object.hasOwn(ITEM_SIZES, dtype) ? ITEM_SIZES[dtype]! : undefined;
    if (itemSize === undefined) {
      throw new SafetensorsError(`${label}: unsupported dtype ${JSON.stringify(dtype)} (supported: F32, F16, BF16, F64)`);
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
      throw new SafetensorsError(`${label}: shape must be an array of non-negative integers, got ${describeJson(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
      throw new SafetensorsError(`${label}: data_offsets must be two non-negative integers, got ${describeJson(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw new SafetensorsError(`${label}: data_offsets end ${end} is before begin ${begin}`);
    if (end > dataLength) {
      throw new SafetensorsError(`${label}: data_offsets [${begin}, ${end}] run past the ${dataLength}-byte data buffer`);
    }
    const count = product(shape as number[]);
    if (end - begin !== count * itemSize) {
      throw new SafetensorsError(
        `${label}: holds ${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${count * itemSize}`,
      );
    }
    entries.push({ name, dtype, shape: [...(shape as number[])], count, begin, end });
  }
  return entries;
}

/** The format requires the tensors to tile the data buffer exactly. */
function checkContiguous(entries: Entry[], dataLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const entry of sorted) {
    if (entry.begin < cursor) {
      throw new SafetensorsError(
        `tensor ${JSON.stringify(entry.name)} [${entry.begin}, ${entry.end}] overlaps tensor ${JSON.stringify(previous!.name)} [${previous!.begin}, ${previous!.end}]`,
      );
    }
    if (entry.begin > cursor) {
      throw new SafetensorsError(`data buffer has a hole: bytes [${cursor}, ${entry.begin}) belong to no tensor`);
    }
    cursor = entry.end;
    previous = entry;
  }
  if (cursor !== dataLength) {
    throw new SafetensorsError(`data buffer has ${dataLength - cursor} trailing bytes that belong to no tensor`);
  }
}

function checkedData(record: Record<string, Float32Array>, shapes: Record<string, number[]>, name: string): Float32Array {
  const label = `tensor ${JSON.stringify(name)}`;
  if (name === METADATA_KEY) throw new SafetensorsError(`"${METADATA_KEY}" is reserved and cannot name a tensor`);
  const data = Object.hasOwn(record, name) ? record[name] : undefined;
  const shape = Object.hasOwn(shapes, name) ? shapes[name] : undefined;
  if (data === undefined) throw new SafetensorsError(`${label} has a shape but no data`);
  if (shape === undefined) throw new SafetensorsError(`${label} has data but no shape`);
  if (!(data instanceof Float32Array)) throw new SafetensorsError(`${label}: data must be a Float32Array`);
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new SafetensorsError(`${label}: shape must be an array of non-negative integers, got ${describeJson(shape)}`);
  }
  if (product(shape) !== data.length) {
    throw new SafetensorsError(`${label}: shape [${shape.join(', ')}] holds ${product(shape)} values but data has ${data.length}`);
  }
  return data;
}

function checkedMetadata(metadata: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new SafetensorsError(`metadata value for ${JSON.stringify(key)} must be a string`);
  }
  return { ...metadata };
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Plain assignment would treat a tensor named "__proto__" as a prototype change. */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Code-point order equals UTF-8 byte order, which is how the Rust library sorts names. */
function compareCodePoints(a: string, b: string): number {
  const ca = Array.from(a, (c) => c.codePointAt(0)!);
  const cb = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i]! - cb[i]!;
  return ca.length - cb.length;
}
