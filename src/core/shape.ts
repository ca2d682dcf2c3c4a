// Shape helpers: formatting for messages, element counts, checks.

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function assertShape(shape: readonly number[], what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${what}: invalid shape ${shapeString(shape)}`);
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
