// Sequence metrics for G2P and similar tasks: Levenshtein distance and PER/WER against the closest of several
// references, as the grapheme-to-phoneme literature scores (API.md 13).
//
// The DP is written here rather than taken from a package: the well-known npm implementations
// (fastest-levenshtein, js-levenshtein) compare strings only, and phoneme sequences are arrays of tokens.

export type Token = number | string;

/**
 * Levenshtein distance (unit-cost insertions, deletions and substitutions) between two sequences; tokens are
 * equal when `===`. A string argument is a sequence of its Unicode code points.
 */
export function editDistance(a: ArrayLike<Token> | string, b: ArrayLike<Token> | string): number {
  const x = asSequence(a, 'a');
  const y = asSequence(b, 'b');
  if (x.length < y.length) return distance(y, x);
  return distance(x, y);
}

/** O(|x|·|y|) time, O(|y|) memory (one row of the DP table); callers pass the shorter sequence as `y`. */
function distance(x: ArrayLike<Token>, y: ArrayLike<Token>): number {
  const n = y.length;
  const row = new Uint32Array(n + 1);
  for (let j = 0; j <= n; j++) row[j] = j;
  for (let i = 1; i <= x.length; i++) {
    let diagonal = row[0]!; // D[i-1][j-1]
    row[0] = i;
    const xi = x[i - 1];
    for (let j = 1; j <= n; j++) {
      const above = row[j]!; // D[i-1][j]
      const substitute = diagonal + (xi === y[j - 1] ? 0 : 1);
      row[j] = Math.min(substitute, above + 1, row[j - 1]! + 1);
      diagonal = above;
    }
  }
  return row[n]!;
}

function asSequence(s: ArrayLike<Token> | string, what: string): ArrayLike<Token> {
  if (typeof s === 'string') return Array.from(s);
  if (s === null || typeof s !== 'object' || typeof (s as ArrayLike<Token>).length !== 'number') {
    throw new TypeError(`editDistance: ${what} must be a string or an array-like of numbers or strings`);
  }
  return s;
}

export interface ErrorRates {
  /** Phoneme (token) error rate: summed edit distance to each row's closest reference / summed length of those references. */
  per: number;
  /** Word (sequence) error rate: the share of rows whose hypothesis equals none of its references. */
  wer: number;
}

/**
 * PER and WER of `hyps[i]` (a token sequence) against `refs[i]` (one or more reference sequences for the same
 * word). For each row the closest reference is the one at the smallest edit distance, the first listed on ties;
 * its length is the row's share of the PER denominator.
 */
export function errorRates(hyps: readonly (readonly string[])[], refs: readonly (readonly (readonly string[])[])[]): ErrorRates {
  if (!Array.isArray(hyps) || !Array.isArray(refs)) throw new TypeError('errorRates: hyps and refs must be arrays');
  if (hyps.length !== refs.length) {
    throw new RangeError(`errorRates: ${hyps.length} hypotheses but ${refs.length} reference lists`);
  }
  if (hyps.length === 0) throw new RangeError('errorRates: no rows to score');
  let errors = 0;
  let refLength = 0;
  let wrongRows = 0;
  for (let i = 0; i < hyps.length; i++) {
    const hyp = hyps[i]!;
    const choices = refs[i]!;
    if (!Array.isArray(hyp)) throw new TypeError(`errorRates: hypothesis ${i} is not an array of tokens`);
    if (!Array.isArray(choices) || choices.length === 0) {
      throw new RangeError(`errorRates: row ${i} has no reference (refs[${i}] must list at least one sequence)`);
    }
    let best = Infinity;
    let bestLength = 0;
    for (let r = 0; r < choices.length; r++) {
      const ref = choices[r]!;
      if (!Array.isArray(ref)) throw new TypeError(`errorRates: refs[${i}][${r}] is not an array of tokens`);
      const d = editDistance(hyp, ref);
      if (d < best) {
        best = d;
        bestLength = ref.length;
      }
    }
    errors += best;
    refLength += bestLength;
    if (best > 0) wrongRows++;
  }
  if (refLength === 0) throw new RangeError('errorRates: the closest references are all empty, so PER is undefined');
  return { per: errors / refLength, wer: wrongRows / hyps.length };
}
