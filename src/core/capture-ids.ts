// Token-id range checks for captured steps. The ops check ids they can see on the CPU (Tensor.cpuData) while a
// step is recorded; a replay runs no op, so capture.ts keeps each check and runs it on the CPU data given to
// run() for the input the checked ids came from, before anything is written: an out-of-range id gets the same
// RangeError captured or not. Ids reach an op directly from an input, or reordered on the way (transpose01).

/** A check of CPU-side ids: throws the op's RangeError naming the first bad id. */
export type IdCheck = (ids: Int32Array) => void;

/** Id arrays made by reordering another (a permutation of its elements), with the source and the reordering. */
const reorderings = new WeakMap<Int32Array, { from: Int32Array; reorder: (src: Int32Array) => Int32Array }>();

/**
 * `reorder(from)`, remembered as derived from `from`, so a check of the result can be traced back to the capture
 * input `from` came from. `reorder` must be a permutation (a transpose): a range check passes on its result
 * exactly when it passes on `from`.
 */
export function reorderedIds(from: Int32Array, reorder: (src: Int32Array) => Int32Array): Int32Array {
  const out = reorder(from);
  reorderings.set(out, { from, reorder });
  return out;
}

/**
 * The check `check` made on `ids`, as a check of a capture input's CPU data: null when `ids` did not come from
 * one of `inputs` (data made inside the step is a constant of it). Reordered ids are checked on the input's data
 * as given (the same verdict, as reorderings are permutations), and only a failure is reordered, so the error
 * names the position the op would have named.
 */
export function inputCheck(ids: Int32Array, check: IdCheck, inputs: ReadonlyMap<Int32Array, string>):
  { input: string; check: IdCheck } | null {
  const chain: ((src: Int32Array) => Int32Array)[] = [];
  let data = ids;
  while (!inputs.has(data)) {
    const r = reorderings.get(data);
    if (!r) return null;
    chain.unshift(r.reorder);
    data = r.from;
  }
  if (chain.length === 0) return { input: inputs.get(data)!, check };
  return {
    input: inputs.get(data)!,
    check: (given) => {
      try {
        check(given);
      } catch (error) {
        check(chain.reduce((d, reorder) => reorder(d), given)); // throws the op's own message
        throw error;
      }
    },
  };
}
