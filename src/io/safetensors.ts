// Reader/writer for the safetensors format (https://github.com/huggingface/safetensors):
//   [u64 little-endian N][N bytes of JSON header, space-padded][data buffer]
// Header: { "__metadata__"?: {string: string} | null, name: { dtype, shape, data_offsets: [begin, end] } },
// offsets relative to the data buffer, which the tensors must cover exactly (no holes, no overlap).
//
// The loader accepts only files the reference (the Rust crate, safetensors/src/tensor.rs) accepts: header at
// most 100,000,000 bytes, strict UTF-8 JSON (whitespace may surround it; a byte-order mark may not),
// dims and offsets unsigned 64-bit integers written as such (no `4.0`, `4e0`, `-0`), overflow-checked size
// arithmetic, tensors tiling the data buffer exactly, `"__metadata__": null` as no metadata. Unknown fields
// inside an entry are ignored, as the reference ignores them. Where the reference is looser, this loader
// refuses: a repeated tensor name or metadata key (the reference keeps the last), an entry written as a
// [dtype, shape, offsets] array, dims beyond 2^53 - 1 (possible only in empty tensors), nesting deeper than
// 64 (serde_json: 128), lone surrogate escapes anywhere, dtypes other than F32/F16/BF16/F64, and, unless
// allowNonFinite is set, NaN or infinite values.
import { readBF16, readF16, readF32, readF64, writeF32 } from './float-bits.js';
import { type JsonNode, type JsonObject, JsonSyntaxError, parseJson } from './json-header.js';
import { formatBytes, MAX_WEIGHTS_BYTES } from './limits.js';

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** Every record has a null prototype, so a tensor named "__proto__" or "constructor" is an ordinary key. */
export interface LoadedSafetensors {
  tensors: Record<string, Float32Array>;
  shapes: Record<string, number[]>;
  metadata: Record<string, string>;
}

export interface LoadSafetensorsOptions {
  /** Refuse files larger than this many bytes (default MAX_WEIGHTS_BYTES, 256 MiB). */
  maxBytes?: number;
  /** Load NaN and ±Infinity values instead of refusing the file (default false). */
  allowNonFinite?: boolean;
}

export interface SaveSafetensorsOptions {
  /** Write NaN and ±Infinity values instead of refusing them (default false). */
  allowNonFinite?: boolean;
}

/** The reference's limit on the JSON header's length. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';
const U64_MAX = 2n ** 64n - 1n;

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
  options: SaveSafetensorsOptions = {},
): Uint8Array {
  if (!isRecord(record)) throw new SafetensorsError('tensors must be a record of Float32Arrays');
  if (!isRecord(shapes)) throw new SafetensorsError('shapes must be a record of number arrays');
  const names = [...new Set([...Object.keys(record), ...Object.keys(shapes)])].sort(compareCodePoints);
  // Built by hand: JSON.stringify of an object would move integer-like names ("0", "12") to the front.
  const members: string[] = [];
  if (metadata !== undefined) members.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(checkedMetadata(metadata))}`);

  const datas: Float32Array[] = [];
  let dataLength = 0;
  for (const name of names) {
    const data = checkedData(record, shapes, name, options.allowNonFinite ?? false);
    const info = { dtype: 'F32', shape: [...shapes[name]!], data_offsets: [dataLength, dataLength + data.byteLength] };
    members.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    datas.push(data);
    dataLength += data.byteLength;
  }

  const json = new TextEncoder().encode(`{${members.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8; // keeps the data buffer 8-byte aligned
  if (headerLength > MAX_HEADER_BYTES) {
    throw new SafetensorsError(`header would be ${headerLength} bytes, over the format's limit of ${MAX_HEADER_BYTES}`);
  }
  const bytes = new Uint8Array(8 + headerLength + dataLength);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength);

  let offset = 8 + headerLength;
  for (const data of datas) {
    writeF32(view, offset, data);
    offset += data.byteLength;
  }
  return bytes;
}

/**
 * Parses and fully validates a safetensors file before converting any tensor to Float32Array.
 * Every failure is a SafetensorsError naming the problem; nothing is returned half-loaded.
 */
export function loadSafetensors(input: Uint8Array | ArrayBuffer, options: LoadSafetensorsOptions = {}): LoadedSafetensors {
  const { maxBytes = MAX_WEIGHTS_BYTES, allowNonFinite = false } = options;
  if (!(typeof maxBytes === 'number' && maxBytes >= 0)) throw new RangeError(`loadSafetensors: maxBytes must be a non-negative number, got ${String(maxBytes)}`);
  if (!(input instanceof Uint8Array || input instanceof ArrayBuffer)) {
    throw new SafetensorsError(`expected the file's bytes as a Uint8Array or ArrayBuffer, got ${Object.prototype.toString.call(input)}`);
  }
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length > maxBytes) {
    throw new SafetensorsError(`file is ${formatBytes(bytes.length)}, over the limit of ${formatBytes(maxBytes)} (options.maxBytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) {
    throw new SafetensorsError(`file is ${bytes.length} bytes, shorter than the 8-byte header length prefix`);
  }
  const declaredLength = view.getBigUint64(0, true);
  if (declaredLength > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(`header length ${declaredLength} is over the format's limit of ${MAX_HEADER_BYTES} bytes`);
  }
  if (declaredLength > BigInt(bytes.length - 8)) {
    throw new SafetensorsError(
      `header length ${declaredLength} runs past the end of the file (${bytes.length - 8} bytes after the length prefix)`,
    );
  }
  const headerLength = Number(declaredLength);
  const { text, root } = parseHeader(bytes.subarray(8, 8 + headerLength));
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const { metadata, entries } = readHeader(root, text, dataLength);
  checkContiguous(entries, dataLength);

  const result: LoadedSafetensors = { tensors: nullRecord(), shapes: nullRecord(), metadata };
  for (const entry of entries) {
    const data = READERS[entry.dtype]!(view, dataStart + entry.begin, entry.count);
    if (!allowNonFinite) checkFinite(data, entry, view, dataStart);
    result.tensors[entry.name] = data;
    result.shapes[entry.name] = entry.shape;
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

function parseHeader(headerBytes: Uint8Array): { text: string; root: JsonNode } {
  let text: string;
  try {
    // ignoreBOM keeps a leading U+FEFF in the text, so the parser refuses it as the reference does.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError('header is not valid UTF-8');
  }
  try {
    return { text, root: parseJson(text) };
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new SafetensorsError(`header is not valid JSON: ${err.message}`);
    throw err;
  }
}

function readHeader(root: JsonNode, text: string, dataLength: number): { metadata: Record<string, string>; entries: Entry[] } {
  if (root.kind !== 'object') throw new SafetensorsError(`header must be a JSON object, got ${describe(text, root)}`);
  const seen = new Set<string>();
  let metadata: Record<string, string> = nullRecord();
  const entries: Entry[] = [];
  for (const [name, value] of root.members) {
    if (seen.has(name)) {
      throw new SafetensorsError(name === METADATA_KEY ? `"${METADATA_KEY}" appears twice` : `tensor ${quote(name)} appears twice`);
    }
    seen.add(name);
    if (name === METADATA_KEY) metadata = readMetadata(value, text);
    else entries.push(readEntry(name, value, text, dataLength));
  }
  return { metadata, entries };
}

/** `null` means no metadata, as in the reference (an Option). */
function readMetadata(node: JsonNode, text: string): Record<string, string> {
  const metadata = nullRecord<string>();
  if (node.kind === 'literal' && node.value === null) return metadata;
  if (node.kind !== 'object') throw new SafetensorsError(`"${METADATA_KEY}" must be an object or null, got ${describe(text, node)}`);
  for (const [key, value] of node.members) {
    if (Object.hasOwn(metadata, key)) throw new SafetensorsError(`metadata key ${quote(key)} appears twice`);
    if (value.kind !== 'string') {
      throw new SafetensorsError(`metadata value for ${quote(key)} must be a string, got ${describe(text, value)}`);
    }
    metadata[key] = value.value;
  }
  return metadata;
}

function readEntry(name: string, node: JsonNode, text: string, dataLength: number): Entry {
  const label = `tensor ${quote(name)}`;
  if (node.kind !== 'object') throw new SafetensorsError(`${label}: entry must be an object, got ${describe(text, node)}`);
  const fields = entryFields(node, label);
  const dtypeNode = fields.dtype!;
  if (dtypeNode.kind !== 'string') throw new SafetensorsError(`${label}: dtype must be a string, got ${describe(text, dtypeNode)}`);
  const dtype = dtypeNode.value;
  const itemSize = Object.hasOwn(ITEM_SIZES, dtype) ? ITEM_SIZES[dtype]! : undefined;
  if (itemSize === undefined) {
    throw new SafetensorsError(`${label}: unsupported dtype ${quote(dtype)} (supported: F32, F16, BF16, F64)`);
  }
  const shape = integerArray(fields.shape!);
  if (shape === null) {
    throw new SafetensorsError(`${label}: shape must be an array of non-negative integers below 2^64, got ${describe(text, fields.shape!)}`);
  }
  const offsets = integerArray(fields.data_offsets!);
  if (offsets === null || offsets.length !== 2) {
    throw new SafetensorsError(
      `${label}: data_offsets must be two non-negative integers below 2^64, got ${describe(text, fields.data_offsets!)}`,
    );
  }
  const [begin, end] = offsets as [bigint, bigint];
  if (end < begin) throw new SafetensorsError(`${label}: data_offsets end ${end} is before begin ${begin}`);
  if (end > BigInt(dataLength)) {
    throw new SafetensorsError(`${label}: data_offsets [${begin}, ${end}] run past the ${dataLength}-byte data buffer`);
  }
  const shapeText = `[${shape.join(', ')}]`;
  // Overflow is checked at every step, in order, as the reference's checked_mul fold does.
  let count = 1n;
  for (const dim of shape) {
    count *= dim;
    if (count > U64_MAX) throw new SafetensorsError(`${label}: shape ${shapeText} has more than 2^64 - 1 elements`);
  }
  const byteSize = count * BigInt(itemSize);
  if (byteSize > U64_MAX) throw new SafetensorsError(`${label}: shape ${shapeText} of ${dtype} needs more than 2^64 - 1 bytes`);
  if (end - begin !== byteSize) {
    throw new SafetensorsError(`${label}: holds ${end - begin} bytes but shape ${shapeText} of ${dtype} needs ${byteSize}`);
  }
  // Only an empty tensor can get here with a dim this large ([0, 2^60]); a JS number would round it.
  const tooLarge = shape.find((dim) => dim > BigInt(Number.MAX_SAFE_INTEGER));
  if (tooLarge !== undefined) {
    throw new SafetensorsError(`${label}: dimension ${tooLarge} is larger than 2^53 - 1, which this loader cannot represent`);
  }
  return { name, dtype, shape: shape.map(Number), count: Number(count), begin: Number(begin), end: Number(end) };
}

const ENTRY_FIELDS = ['dtype', 'shape', 'data_offsets'] as const;

/** The three fields, each exactly once; other fields are ignored, as the reference ignores them. */
function entryFields(node: JsonObject, label: string): Partial<Record<(typeof ENTRY_FIELDS)[number], JsonNode>> {
  const fields: Partial<Record<(typeof ENTRY_FIELDS)[number], JsonNode>> = {};
  for (const [key, value] of node.members) {
    if (!(ENTRY_FIELDS as readonly string[]).includes(key)) continue;
    const field = key as (typeof ENTRY_FIELDS)[number];
    if (fields[field] !== undefined) throw new SafetensorsError(`${label}: field "${field}" appears twice`);
    fields[field] = value;
  }
  for (const field of ENTRY_FIELDS) {
    if (fields[field] === undefined) throw new SafetensorsError(`${label}: entry has no "${field}"`);
  }
  return fields;
}

/** An array of unsigned 64-bit integers written as integers (`4`, not `4.0`, `4e0` or `-0`), else null. */
function integerArray(node: JsonNode): bigint[] | null {
  if (node.kind !== 'array') return null;
  const values: bigint[] = [];
  for (const item of node.items) {
    if (item.kind !== 'number' || !/^(?:0|[1-9][0-9]*)$/.test(item.raw) || item.raw.length > 20) return null;
    const value = BigInt(item.raw);
    if (value > U64_MAX) return null;
    values.push(value);
  }
  return values;
}

/** The format requires the tensors to tile the data buffer exactly. */
function checkContiguous(entries: Entry[], dataLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const entry of sorted) {
    if (entry.begin < cursor) {
      throw new SafetensorsError(
        `tensor ${quote(entry.name)} [${entry.begin}, ${entry.end}] overlaps tensor ${quote(previous!.name)} [${previous!.begin}, ${previous!.end}]`,
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

/** NaN or ±Infinity in weights would reach the cells, where WGSL leaves clamp(NaN) to each GPU. */
function checkFinite(data: Float32Array, entry: Entry, view: DataView, dataStart: number): void {
  const index = firstNonFinite(data);
  if (index < 0) return;
  const label = `tensor ${quote(entry.name)}`;
  if (entry.dtype === 'F64') {
    const original = view.getFloat64(dataStart + entry.begin + 8 * index, true);
    if (Number.isFinite(original)) {
      throw new SafetensorsError(
        `${label}: element ${index} (${original}) is beyond the float32 range; pass { allowNonFinite: true } to load it as ${data[index]}`,
      );
    }
  }
  throw new SafetensorsError(`${label}: element ${index} is ${data[index]}; non-finite weights are refused (pass { allowNonFinite: true } to load them)`);
}

function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (data[i]! - data[i]! !== 0) return i; // NaN for NaN and ±Infinity
  return -1;
}

function checkedData(record: Record<string, Float32Array>, shapes: Record<string, number[]>, name: string, allowNonFinite: boolean): Float32Array {
  const label = `tensor ${quote(name)}`;
  if (name === METADATA_KEY) throw new SafetensorsError(`"${METADATA_KEY}" is reserved and cannot name a tensor`);
  if (!isWellFormed(name)) throw new SafetensorsError(`${label}: the name holds an unpaired surrogate, which UTF-8 cannot encode`);
  const data = Object.hasOwn(record, name) ? record[name] : undefined;
  const shape = Object.hasOwn(shapes, name) ? shapes[name] : undefined;
  if (data === undefined) throw new SafetensorsError(`${label} has a shape but no data`);
  if (shape === undefined) throw new SafetensorsError(`${label} has data but no shape`);
  if (!(data instanceof Float32Array)) throw new SafetensorsError(`${label}: data must be a Float32Array`);
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new SafetensorsError(`${label}: shape must be an array of non-negative integers, got ${describeShape(shape)}`);
  }
  // The loader's (and the reference's) overflow rule, so that nothing is written that cannot be read back.
  let exact = 1n;
  for (const dim of shape) {
    exact *= BigInt(dim);
    if (exact > U64_MAX) throw new SafetensorsError(`${label}: shape [${shape.join(', ')}] has more than 2^64 - 1 elements`);
  }
  const count = Number(exact);
  if (count !== data.length) {
    throw new SafetensorsError(`${label}: shape [${shape.join(', ')}] holds ${count} values but data has ${data.length}`);
  }
  if (!allowNonFinite) {
    const index = firstNonFinite(data);
    if (index >= 0) {
      throw new SafetensorsError(`${label}: element ${index} is ${data[index]}; non-finite weights are refused (pass { allowNonFinite: true } to save them)`);
    }
  }
  return data;
}

function checkedMetadata(metadata: Record<string, string>): Record<string, string> {
  if (!isRecord(metadata)) throw new SafetensorsError('metadata must be a record of strings');
  const copy = nullRecord<string>();
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new SafetensorsError(`metadata value for ${quote(key)} must be a string, got ${typeof value}`);
    if (!isWellFormed(key) || !isWellFormed(value)) {
      throw new SafetensorsError(`metadata ${quote(key)} holds an unpaired surrogate, which UTF-8 cannot encode`);
    }
    copy[key] = value;
  }
  return copy;
}

/** A value's source text for a message: JSON whitespace outside strings dropped, at most 60 characters. */
function describe(text: string, node: JsonNode): string {
  const source = text.slice(node.start, Math.min(node.end, node.start + 200));
  let out = '';
  let inString = false;
  for (let i = 0; i < source.length && out.length <= 60; i++) {
    const ch = source[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') out += source[++i] ?? '';
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
      out += ch;
    } else if (ch !== ' ' && ch !== '\n' && ch !== '\r' && ch !== '\t') {
      out += ch;
    }
  }
  return out.length > 60 || node.end - node.start > 200 ? `${out.slice(0, 57)}...` : out;
}

function describeShape(shape: unknown): string {
  if (!Array.isArray(shape)) return typeof shape;
  const text = `[${shape.slice(0, 9).map(String).join(', ')}${shape.length > 9 ? ', ...' : ''}]`;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A name for a message: JSON-quoted, cut to 80 characters so a huge name cannot flood it. */
function quote(name: string): string {
  const quoted = JSON.stringify(name);
  return quoted.length > 80 ? `${quoted.slice(0, 76)}..."` : quoted;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

function nullRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Code-point order equals UTF-8 byte order, which is how the Rust library sorts names. */
function compareCodePoints(a: string, b: string): number {
  const ca = Array.from(a, (c) => c.codePointAt(0)!);
  const cb = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i]! - cb[i]!;
  return ca.length - cb.length;
}
