import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConformance } from '../engine.conformance.js';
import { SqliteEngine } from './engine.js';

// The CLI's embedded engine reads on the calling thread instead of reader threads: the same suite, the same answers.
runConformance({
  name: 'embedded (SQLite FTS5), reads on the calling thread',
  makeEngine: async () =>
    new SqliteEngine({ dataDir: mkdtempSync(join(tmpdir(), 'sift-conf-inline-')), readers: 0 }),
});
