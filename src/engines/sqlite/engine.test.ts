import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConformance } from '../engine.conformance.js';
import { SqliteEngine } from './engine.js';

runConformance({
  name: 'embedded (SQLite FTS5)',
  makeEngine: async () => new SqliteEngine({ dataDir: mkdtempSync(join(tmpdir(), 'sift-conf-')) }),
});
