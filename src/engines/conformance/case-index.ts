import { afterAll, beforeAll, expect } from 'vitest';
import type { EngineDriver } from './driver.js';

/**
 * Registers, in the calling suite, hooks that give a group of cases an index of its own: created and loaded with
 * `docs` (every one accepted) before the cases run, dropped after them.
 */
export function caseIndex(
  driver: () => EngineDriver,
  idx: string,
  schema: unknown,
  docs: Record<string, unknown>[],
): void {
  beforeAll(async () => {
    const svc = driver();
    await svc.dropIndex(idx).catch(() => undefined);
    await svc.putIndex(idx, schema);
    expect((await svc.importDocuments(idx, docs)).failed).toBe(0);
  });
  afterAll(async () => {
    await driver()
      .dropIndex(idx)
      .catch(() => undefined);
  });
}
