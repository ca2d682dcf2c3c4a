// Turns a corpus file's bytes into text, refusing what is not UTF-8 text before any work is done on it:
// oversized files (checked before decoding), binary files (a NUL byte), and invalid UTF-8 (which the
// default decoder would silently turn into U+FFFD characters, each then a token of the vocabulary).
import { checkFileSize, MAX_CORPUS_BYTES } from '../io/limits.js';

export interface DecodeCorpusOptions {
  /** Refuse more bytes than this (default MAX_CORPUS_BYTES, 64 MiB). */
  maxBytes?: number;
  /** Names the file in error messages (default 'corpus'). */
  name?: string;
  /**
   * Decode (and check) only the bytes that can hold the first `maxChars` characters (4 per character at
   * most), for charCorpus's 'chars' mode with the same maxChars. Not for 'timemachine' mode, whose
   * vocabulary is built from the whole text.
   */
  maxChars?: number;
}

/** UTF-8 bytes → text; a leading byte-order mark is dropped. Throws a RangeError or an Error naming the problem. */
export function decodeCorpus(bytes: Uint8Array | ArrayBuffer, opts: DecodeCorpusOptions = {}): string {
  const { maxBytes = MAX_CORPUS_BYTES, name = 'corpus', maxChars } = opts;
  if (maxChars !== undefined && !(Number.isSafeInteger(maxChars) && maxChars >= 0)) {
    throw new RangeError(`maxChars must be a non-negative integer, got ${maxChars}`);
  }
  if (!(bytes instanceof Uint8Array || bytes instanceof ArrayBuffer)) {
    throw new TypeError(`${name}: expected the file's bytes as a Uint8Array or ArrayBuffer, got ${Object.prototype.toString.call(bytes)}`);
  }
  const whole = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  checkFileSize(whole.length, maxBytes, name);
  const truncated = maxChars !== undefined && 4 * maxChars < whole.length;
  const view = truncated ? whole.subarray(0, 4 * maxChars) : whole;
  const nul = view.indexOf(0);
  if (nul >= 0) {
    throw new Error(`${name} is not a text file: it has a NUL byte at offset ${nul} (a binary file, or UTF-16 text; save it as UTF-8)`);
  }
  try {
    // stream: a character cut by the truncation is held back as incomplete rather than reported as invalid.
    return new TextDecoder('utf-8', { fatal: true }).decode(view, { stream: truncated });
  } catch {
    throw new Error(`${name} is not valid UTF-8 text (save it as UTF-8; Latin-1 and other encodings are not read)`);
  }
}
