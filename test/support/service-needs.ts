import { readFileSync } from 'node:fs';
import { SERVICE_NAMES, type ServiceName } from './service-names.js';

/**
 * Which real servers a test file needs, from a `@services` line in its comments (`@services redis, opensearch`),
 * the way `@vitest-environment` names an environment. The global setup reads it from the files selected for a
 * run and starts only those servers: a run of pure tests starts nothing, and a file needing a server gets it
 * without a setting to remember.
 */
const TAG = /^[ \t]*(?:\/\/|\/?\*+)[ \t]*@services\b(.*)$/gm;

export function declaredServices(source: string, file = 'a test file'): ServiceName[] {
  const names = new Set<ServiceName>();
  for (const m of source.matchAll(TAG)) {
    const listed = m[1]!
      .replace(/\*\/.*$/, '')
      .split(/[\s,]+/)
      .filter(Boolean);
    if (listed.length === 0) throw new Error(`${file}: @services names no service`);
    for (const name of listed) {
      if (!(SERVICE_NAMES as readonly string[]).includes(name)) {
        throw new Error(`${file}: @services names ${name}; known: ${SERVICE_NAMES.join(', ')}`);
      }
      names.add(name as ServiceName);
    }
  }
  return SERVICE_NAMES.filter((n) => names.has(n));
}

/** The servers the given test files need together, in SERVICE_NAMES order. */
export function servicesFor(files: readonly string[]): ServiceName[] {
  const needed = new Set(files.flatMap((f) => declaredServices(readFileSync(f, 'utf8'), f)));
  return SERVICE_NAMES.filter((n) => needed.has(n));
}
