// Node only: finds the textbook corpora in shared/data (a sibling of the repo, never copied into it).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Walks up from this file to the first `shared/data` holding the corpora (sibling of the repo, or inside it). */
export function findDataDir(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  const tried: string[] = [];
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'data');
    tried.push(candidate);
    if (existsSync(join(candidate, 'jaychou_lyrics.txt'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`corpus directory shared/data not found; looked in:\n  ${tried.join('\n  ')}`);
}

export function readCorpus(name: 'jaychou_lyrics.txt' | 'timemachine.txt'): string {
  return readFileSync(resolve(findDataDir(), name), 'utf8');
}
