import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A directory of the test's own under the system's temporary directory. */
export interface TempDir {
  readonly path: string;
  /** Removes it with everything in it; safe to call twice. */
  remove(): void;
}

/** The one temporary-directory helper of the tests: `prefix` names the test in the directory's name. */
export function tempDir(prefix = 'sift-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
