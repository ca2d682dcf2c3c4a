// Shape helpers: formatting for messages, element counts, checks.

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Throws a RangeError naming the first dimension that is not a non-negative integer (or a shape that is not
 *  an array of numbers). */
export function assertShape(shape: readonly number[], what: string): void {
  if (!Array.isArray(shape)) throw new TypeError(`${what}: the shape must be an array of dimensions, got ${String(shape)}`);
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new RangeError(`${what}: dimension ${i} of shape ${shapeString(shape)} must be a non-negative integer, got ${String(d)}`);
    }
  });
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
