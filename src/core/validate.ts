// Argument checks shared by the library (and the CLI and demo): one signature, (value, name, owner), and one
// message shape, "owner: name must be …, got value", thrown as a RangeError. Each returns the value checked.

function fail(value: unknown, name: string, owner: string, must: string): never {
  throw new RangeError(`${owner ? `${owner}: ` : ''}${name} must be ${must}, got ${String(value)}`);
}

/** An integer ≥ 1. */
export function positiveInteger(value: unknown, name: string, owner: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(value, name, owner, 'a positive integer');
  return value;
}

/** A finite number > 0. */
export function positiveNumber(value: unknown, name: string, owner: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(value, name, owner, 'a finite positive number');
  return value;
}

/** A finite number ≥ 0. */
export function nonNegativeNumber(value: unknown, name: string, owner: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(value, name, owner, 'a finite number >= 0');
  return value;
}
