import { afterAll, afterEach } from 'vitest';
import { SqliteEngine } from '../../src/engines/sqlite/engine.js';
import { SearchService } from '../../src/service/search-service.js';
import { tempDir } from './temp-dir.js';

interface Closable {
  close(): unknown;
}

/** What tempSqlite hands a test file: directories, engines and connections that it cleans up itself. */
export interface TempSqlite {
  /** A new empty directory, removed after the test (or the file). */
  dir(): string;
  /** An opened embedded engine on `dataDir` (a new directory by default) and a service on it, closed after. */
  open(
    dataDir?: string,
    opts?: { readers?: number },
  ): Promise<{ engine: SqliteEngine; svc: SearchService; dataDir: string }>;
  /** Closes `c` with the rest (a second connection, a writer thread), in reverse order of registration. */
  track<T extends Closable>(c: T): T;
}

/**
 * Temporary embedded engines for the SQLite engine's tests. Registers, in the calling describe, the hook that
 * closes what was opened (newest first) and then removes the directories: after each test (`after: 'each'`, each
 * test starts from nothing) or once after the file (`after: 'all'`, for a corpus built in beforeAll).
 */
export function tempSqlite(name: string, { after = 'each' }: { after?: 'each' | 'all' } = {}): TempSqlite {
  const dirs: { remove(): void }[] = [];
  const open: Closable[] = [];
  (after === 'each' ? afterEach : afterAll)(async () => {
    for (const c of open.splice(0).reverse()) await c.close();
    for (const d of dirs.splice(0)) d.remove();
  });
  const dir = () => {
    const d = tempDir(`sift-${name}-`);
    dirs.push(d);
    return d.path;
  };
  const track = <T extends Closable>(c: T): T => {
    open.push(c);
    return c;
  };
  return {
    dir,
    track,
    async open(dataDir = dir(), { readers = 1 } = {}) {
      const engine = new SqliteEngine({ dataDir, readers });
      await engine.open();
      track(engine);
      return { engine, svc: new SearchService(engine), dataDir };
    },
  };
}
