import { inject } from 'vitest';
import type { ServiceName } from './service-names.js';

/** The URL of a real server started for this test run; fails loudly (never skips) when it was not started. */
export function serviceUrl(name: ServiceName): string {
  const url = inject('services')[name];
  if (!url) {
    throw new Error(
      `${name} was not started for this run (SIFT_TEST_SERVICES=${process.env.SIFT_TEST_SERVICES ?? ''}); ` +
        `run the full suite or include ${name}`,
    );
  }
  return url;
}
