import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { PopularQueries } from './popular-queries.js';
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

/** Popular queries for suggestions over the store, or undefined when ANALYTICS_SUGGESTIONS is false. */
function popularQueries(
  config: Config,
  store: AnalyticsStore,
  onError: RecorderOptions['onError'],
): PopularQueries | undefined {
  if (!config.ANALYTICS_SUGGESTIONS) return undefined;
  return new PopularQueries(
    store,
    {
      minPrincipals: config.ANALYTICS_SUGGEST_MIN_PRINCIPALS,
      minAnonymous: config.ANALYTICS_SUGGEST_MIN_ANONYMOUS,
      days: config.ANALYTICS_SUGGEST_DAYS,
    },
    { refreshMs: config.ANALYTICS_SUGGEST_REFRESH_MS, onError: (err) => onError?.(err, 'suggestions') },
  );
}

/**
 * A started recorder over the configured store, or null when ANALYTICS_ENABLED is false (and so no popular
 * queries either). `onError` hears of flushes, retention runs and reloads of the popular queries that failed
 * (the server logs them).
 */
export async function openRecorder(
  config: Config,
  onError: RecorderOptions['onError'],
): Promise<AnalyticsRecorder | null> {
  if (!config.ANALYTICS_ENABLED) return null;
  const store = await openAnalyticsStore(config);
  const popular = popularQueries(config, store, onError);
  const recorder = new AnalyticsRecorder(store, {
    ...recorderOptions(config),
    onError,
    ...(popular ? { popular } : {}),
  });
  recorder.start();
  return recorder;
}
