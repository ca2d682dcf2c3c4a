// The reduction option shared by the losses (PyTorch's reduction=).
export type Reduction = 'mean' | 'sum' | 'none';

/** The reduction, 'mean' when undefined, or a RangeError naming the op and the bad value. */
export function checkReduction(reduction: unknown, what: string): Reduction {
  if (reduction === undefined) return 'mean';
  if (reduction === 'mean' || reduction === 'sum' || reduction === 'none') return reduction;
  throw new RangeError(`${what}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
}
