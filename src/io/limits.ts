// File-size caps, checked from the size a file reports (File.size, fs.statSync) before any byte is read,
// so an oversized upload is refused before it costs memory or time. The demo and the CLI share them.
import { formatBytes } from '../core/limits.js';

export { formatBytes };

/** The largest weights file read by default: 256 MiB (WebGPU's default maxBufferSize; no layer a
 *  browser can bind needs more). */
export const MAX_WEIGHTS_BYTES = 256 * 2 ** 20;

/** The largest corpus file read by default: 64 MiB of text. */
export const MAX_CORPUS_BYTES = 64 * 2 ** 20;

/**
 * Throws a RangeError naming the file, its size and the limit when `bytes` exceeds `limit`.
 * `what` names the file for the message, e.g. 'weights file "model.safetensors"'.
 */
export function checkFileSize(bytes: number, limit: number, what: string): void {
  if (!(Number.isSafeInteger(limit) && limit >= 0)) throw new RangeError(`the size limit for ${what} must be a non-negative integer, got ${limit}`);
  if (!(Number.isSafeInteger(bytes) && bytes >= 0)) throw new RangeError(`${what} reports an invalid size (${bytes})`);
  if (bytes > limit) throw new RangeError(`${what} is ${formatBytes(bytes)}, over the limit of ${formatBytes(limit)}`);
}
