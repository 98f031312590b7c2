import { invalidOption } from './options.js';

/** How a measured value is held against its threshold. */
export const COMPARATORS = ['<', '<=', '>', '>=', '==', '!='] as const;
export type Comparator = (typeof COMPARATORS)[number];

export function parseComparator(what: string, value: string): Comparator {
  if (!(COMPARATORS as readonly string[]).includes(value))
    throw invalidOption(what, `must be one of ${COMPARATORS.join(' ')}`, value);
  return value as Comparator;
}

/** Whether `value` passes. NaN passes nothing: a missing value is never a healthy one. */
export function compare(value: number, comparator: Comparator, threshold: number): boolean {
  if (Number.isNaN(value)) return false;
  switch (comparator) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}
