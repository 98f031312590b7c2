import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import {
  BASE_DEFAULTS,
  DEVELOPMENT_JWT_SECRET,
  ENVIRONMENT_DEFAULTS,
  ENVIRONMENTS,
  type Environment,
} from './defaults.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const settings = z.object({
  HOST: z.string().min(1),
  PORT: int(0, 65535),
  WORKERS: int(1, 64),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  LOG_FORMAT: z.enum(['json', 'pretty']),
  DATA_DIR: z.string().min(1),
  DEFAULT_INDEX: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a valid index name'),
  SEARCH_ENGINE: z.enum(['embedded']),
  LOAD_SAMPLE_DATA: bool,
  CORS_ORIGINS: list,
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters'),
  JWT_EXPIRE_HOURS: int(1, 24 * 365),
  ELASTICSEARCH_HOST: z.string(),
  ELASTICSEARCH_PORT: int(1, 65535),
  ELASTICSEARCH_TIMEOUT: int(1, 600),
  REDIS_HOST: z.string(),
  REDIS_PORT: int(1, 65535),
  REDIS_DB: int(0, 15),
  BODY_LIMIT_BYTES: int(1024, 1024 ** 3),
  MAX_PAGE_SIZE: int(1, 10_000),
  MAX_RESULT_WINDOW: int(1, 1_000_000),
  MAX_QUERY_LENGTH: int(1, 100_000),
  MAX_QUERY_TERMS: int(1, 1024),
  SHUTDOWN_GRACE_MS: int(0, 600_000),
  KEEP_ALIVE_TIMEOUT_MS: int(1000, 3_600_000),
  REQUEST_TIMEOUT_MS: int(100, 3_600_000),
});

export type Settings = z.infer<typeof settings>;
export type Config = Readonly<Settings & { ENVIRONMENT: Environment; VERSION: string }>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function readDotenv(path: string): Record<string, string> {
  return existsSync(path) ? parseDotenv(readFileSync(path)) : {};
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    return String(pkg.version);
  } catch {
    try {
      return String(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
    } catch {
      return '0.0.0';
    }
  }
}

/**
 * Builds the configuration once: base defaults < environment defaults < .env file < process environment.
 * Every bad value is reported by name in one error, and the result is frozen so nothing changes it later.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  dotenvPath = '.env',
): Config {
  const fromFile = readDotenv(dotenvPath);
  const merged: Record<string, string | undefined> = { ...fromFile, ...env };
  const environment = (merged.ENVIRONMENT ?? 'development').toLowerCase();
  if (!(ENVIRONMENTS as readonly string[]).includes(environment)) {
    throw new ConfigError([
      `ENVIRONMENT: must be one of ${ENVIRONMENTS.join(', ')}, got "${merged.ENVIRONMENT}"`,
    ]);
  }
  const envName = environment as Environment;
  const layered: Record<string, string | undefined> = { ...BASE_DEFAULTS, ...ENVIRONMENT_DEFAULTS[envName] };
  for (const key of Object.keys(BASE_DEFAULTS)) {
    const v = merged[key];
    if (v !== undefined && v !== '') layered[key] = v;
    // An explicitly empty value clears list-like settings (e.g. CORS_ORIGINS= disables CORS).
    else if (v === '' && (key === 'CORS_ORIGINS' || key === 'REDIS_HOST')) layered[key] = '';
  }
  const parsed = settings.safeParse(layered);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.');
      problems.push(`${key}: ${issue.message} (got ${JSON.stringify(layered[key])})`);
    }
  }
  if (parsed.success && envName === 'production' && parsed.data.JWT_SECRET === DEVELOPMENT_JWT_SECRET) {
    problems.push(
      'JWT_SECRET: production refuses the development secret; set a random secret of 32+ characters',
    );
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return Object.freeze({
    ...parsed.data,
    CORS_ORIGINS: Object.freeze([...parsed.data.CORS_ORIGINS]) as string[],
    ENVIRONMENT: envName,
    VERSION: packageVersion(),
  });
}
