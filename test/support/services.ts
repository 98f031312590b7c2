import { inject } from 'vitest';
import type { ServiceName } from './service-names.js';

/**
 * The URL of a real server started for this run; fails loudly (never skips) when it was not started, which means
 * the test file lacks its `@services` declaration (see service-needs.ts).
 */
export function serviceUrl(name: ServiceName): string {
  const url = inject('services')[name];
  if (!url) {
    throw new Error(
      `${name} was not started for this run: declare it in the test file's comments with \`@services ${name}\``,
    );
  }
  return url;
}
