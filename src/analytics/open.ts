import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { PostgresAnalyticsStore } from './postgres-store.js';
import { AnalyticsRecorder, type RecorderOptions } from './recorder.js';
import { ANALYTICS_DB_FILE, SqliteAnalyticsStore } from './sqlite-store.js';
import type { AnalyticsStore } from './store.js';

const DAY_MS = 86_400_000;

/** The configured store, migrated: PostgreSQL when DATABASE_URL is set, else the SQLite file in DATA_DIR. */
export async function openAnalyticsStore(config: Config): Promise<AnalyticsStore>;
/**
 * `readOnly` (a report from the CLI): null instead of creating the SQLite file when there is none, as a command
 * that only reads never creates files.
 */
export async function openAnalyticsStore(
  config: Config,
  opts: { readOnly: true },
): Promise<AnalyticsStore | null>;
export async function openAnalyticsStore(
  config: Config,
  opts: { readOnly?: boolean } = {},
): Promise<AnalyticsStore | null> {
  const file = join(config.DATA_DIR, ANALYTICS_DB_FILE);
  if (!config.DATABASE_URL && opts.readOnly && !existsSync(file)) return null;
  const store: AnalyticsStore = config.DATABASE_URL
    ? new PostgresAnalyticsStore(config.DATABASE_URL)
    : new SqliteAnalyticsStore(file);
  try {
    await store.migrate();
    return store;
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}

/** The recorder's settings from the configuration. */
export function recorderOptions(config: Config): RecorderOptions {
  return {
    sampleRate: config.ANALYTICS_SAMPLE_RATE,
    bufferSize: config.ANALYTICS_BUFFER_SIZE,
    flushIntervalMs: config.ANALYTICS_FLUSH_MS,
    retentionMs: config.ANALYTICS_RETENTION_DAYS * DAY_MS,
  };
}

/**
 * A started recorder over the configured store, or null when ANALYTICS_ENABLED is false. `onError` hears of
 * flushes and retention runs that failed (the server logs them).
 */
export async function openRecorder(
  config: Config,
  onError: RecorderOptions['onError'],
): Promise<AnalyticsRecorder | null> {
  if (!config.ANALYTICS_ENABLED) return null;
  const store = await openAnalyticsStore(config);
  const recorder = new AnalyticsRecorder(store, { ...recorderOptions(config), onError });
  recorder.start();
  return recorder;
}
