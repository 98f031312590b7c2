import { homedir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/support/longest-first-sequencer.js';

// Most integration files wait on real servers and processes (fixed-duration load runs, readiness, nginx reloads,
// rollouts) rather than compute, so more of them run at once than there are cores; vitest's default (cores - 1)
// runs them one after another on a 2-core machine. `--maxWorkers=N` overrides it for one run.
const WORKERS = 5;

// The results cache (each file's last duration, which orders the next run) lives next to the services' downloads
// and builds, outside node_modules, so a clean install (`npm ci`) keeps the order's history.
const cacheRoot =
  process.env.SIFT_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sift');

export default defineConfig({
  cacheDir: join(cacheRoot, 'vite'),
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: WORKERS,
    sequence: { sequencer: LongestFirstSequencer },
    reporters: ['default', './test/support/slowest-files-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
