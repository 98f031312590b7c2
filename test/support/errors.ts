import { expect } from 'vitest';
import { SiftError } from '../../src/errors.js';

/** The SiftError that `fn` throws; fails the test when it throws something else or nothing. */
export function errorOf(fn: () => unknown): SiftError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SiftError);
    return err as SiftError;
  }
  throw new Error('expected an error');
}
