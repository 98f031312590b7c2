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
import { INDEX_NAME } from '../schema/index-name.js';

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
  DEFAULT_INDEX: z.string().regex(INDEX_NAME, 'must be a valid index name'),
  SEARCH_ENGINE: z.enum(['embedded', 'elasticsearch', 'opensearch']),
  LOAD_SAMPLE_DATA: bool,
  CORS_ORIGINS: list,
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters'),
  JWT_EXPIRE_HOURS: int(1, 24 * 365),
  CURSOR_SECRET: z
    .string()
    .refine((v) => v === '' || v.length >= 32, 'must be empty or at least 32 characters'),
  CURSOR_SECRET_PREVIOUS: list.refine(
    (v) => v.length <= 4 && v.every((s) => s.length >= 16),
    'at most 4 comma-separated secrets of at least 16 characters each',
  ),
  ELASTICSEARCH_HOST: z.string(),
  ELASTICSEARCH_PORT: int(1, 65535),
  ELASTICSEARCH_TIMEOUT: int(1, 600),
  ELASTICSEARCH_URL: z
    .string()
    .regex(/^(|https?:\/\/[^\s,]+(,https?:\/\/[^\s,]+)*)$/, 'must be http(s) URLs, comma-separated'),
  ELASTICSEARCH_USERNAME: z.string(),
  ELASTICSEARCH_PASSWORD: z.string(),
  ELASTICSEARCH_API_KEY: z.string(),
  ELASTICSEARCH_CA_FILE: z.string(),
  ELASTICSEARCH_INDEX_PREFIX: z
    .string()
    .regex(/^(|[a-z0-9][a-z0-9_-]{0,31})$/, 'must be a short index-name prefix'),
  ELASTICSEARCH_REFRESH: z.enum(['wait_for', 'true', 'false']),
  ELASTICSEARCH_BULK_DOCS: int(1, 100_000),
  ELASTICSEARCH_BULK_BYTES: int(1024, 1024 ** 3),
  ELASTICSEARCH_BULK_CONCURRENCY: int(1, 64),
  ELASTICSEARCH_RETRIES: int(0, 20),
  ELASTICSEARCH_MERGE_AFTER_LOAD: bool,
  ELASTICSEARCH_NODE_TIMEOUT_MS: int(100, 600_000),
  // A replica count, or a range the cluster keeps it in by the number of data nodes (`auto_expand_replicas`).
  ELASTICSEARCH_REPLICAS: z
    .string()
    .regex(/^([0-9]|[0-9]-([0-9]|all))$/, 'must be a number of replicas (0-9) or a range like 0-1 or 1-all'),
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
  CACHE_TTL_SECONDS: int(0, 86_400),
  CACHE_MAX_ENTRIES: int(1, 10_000_000),
  REDIS_COMMAND_TIMEOUT_MS: int(10, 60_000),
  CACHE_NAMESPACE: z.string().regex(/^[\w:.-]{0,100}$/, 'letters, digits, "_", ":", "." and "-" only'),
  TRUSTED_PROXIES: list,
  RATE_LIMIT_ENABLED: bool,
  RATE_LIMIT_SEARCH_PER_MINUTE: int(1, 10_000_000),
  RATE_LIMIT_WRITE_PER_MINUTE: int(1, 10_000_000),
  RATE_LIMIT_ADMIN_PER_MINUTE: int(1, 10_000_000),
  MAX_FACETS: int(1, 256),
  MAX_FACET_BUCKETS: int(1, 10_000),
  ENGINE_TIMEOUT_MS: int(10, 3_600_000),
  EMBEDDER_DEADLINE_MS: int(100, 3_600_000),
  METRICS_ENABLED: bool,
  AUTH_REQUIRED: bool,
  AUTH_PUBLIC_READS: bool,
  AUTH_KEY_CACHE_SECONDS: int(0, 3600),
  AUTH_PROTECT_METRICS: bool,
  JWT_ALGORITHM: z.enum(['HS256', 'RS256']),
  JWT_PUBLIC_KEY_FILE: z.string(),
  JWT_JWKS_FILE: z.string(),
  JWT_ISSUER: z.string(),
  JWT_AUDIENCE: z.string(),
  SNAPSHOT_DIR: z.string(),
  ANALYTICS_ENABLED: bool,
  ANALYTICS_SAMPLE_RATE: z.coerce.number().min(0).max(1),
  ANALYTICS_RETENTION_DAYS: int(1, 3650),
  ANALYTICS_BUFFER_SIZE: int(1, 10_000_000),
  ANALYTICS_FLUSH_MS: int(10, 600_000),
  ANALYTICS_SUGGESTIONS: bool,
  ANALYTICS_SUGGEST_MIN_PRINCIPALS: int(1, 1_000_000),
  ANALYTICS_SUGGEST_MIN_ANONYMOUS: int(0, 1_000_000_000),
  ANALYTICS_SUGGEST_DAYS: int(1, 3650),
  ANALYTICS_SUGGEST_REFRESH_MS: int(100, 86_400_000),
  DATABASE_URL: z
    .string()
    .regex(/^(|postgres(ql)?:\/\/\S+)$/, 'must be empty or a postgres:// (postgresql://) URL'),
  // A repository name as the clusters accept it (lower case, no separators they refuse), or empty for none.
  SNAPSHOT_REPOSITORY: z
    .string()
    .regex(
      /^(|[a-z0-9][a-z0-9_.-]{0,127})$/,
      'must be a cluster snapshot repository name (a-z, 0-9, "_", ".", "-")',
    ),
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

/** Auth settings that are valid one by one but not together. */
function authProblems(s: Settings, env: Environment): string[] {
  const problems: string[] = [];
  if (env !== 'development' && !s.AUTH_REQUIRED)
    problems.push(
      `AUTH_REQUIRED: ${env} always requires credentials for writes and admin; only development may set false`,
    );
  if (s.JWT_ALGORITHM === 'RS256' && !s.JWT_PUBLIC_KEY_FILE === !s.JWT_JWKS_FILE)
    problems.push('JWT_ALGORITHM: RS256 needs exactly one of JWT_PUBLIC_KEY_FILE or JWT_JWKS_FILE');
  if (s.JWT_ALGORITHM === 'HS256' && (s.JWT_PUBLIC_KEY_FILE || s.JWT_JWKS_FILE))
    problems.push('JWT_ALGORITHM: JWT_PUBLIC_KEY_FILE and JWT_JWKS_FILE need JWT_ALGORITHM=RS256');
  for (const key of ['JWT_PUBLIC_KEY_FILE', 'JWT_JWKS_FILE'] as const) {
    if (s[key] && !existsSync(s[key]))
      problems.push(`${key}: file not found (got ${JSON.stringify(s[key])})`);
  }
  return problems;
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
    else if (v === '' && (key === 'CORS_ORIGINS' || key === 'REDIS_HOST' || key === 'TRUSTED_PROXIES'))
      layered[key] = '';
  }
  const parsed = settings.safeParse(layered);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.');
      problems.push(`${key}: ${issue.message} (got ${JSON.stringify(layered[key])})`);
    }
  }
  if (parsed.success) problems.push(...authProblems(parsed.data, envName));
  if (
    parsed.success &&
    envName === 'production' &&
    parsed.data.JWT_ALGORITHM === 'HS256' &&
    parsed.data.JWT_SECRET === DEVELOPMENT_JWT_SECRET
  ) {
    problems.push(
      'JWT_SECRET: production refuses the development secret; set a random secret of 32+ characters',
    );
  }
  if (
    parsed.success &&
    envName === 'production' &&
    !parsed.data.CURSOR_SECRET &&
    parsed.data.JWT_SECRET === DEVELOPMENT_JWT_SECRET
  ) {
    // Cursors are signed with a key derived from JWT_SECRET when CURSOR_SECRET is empty; the development secret
    // is public, so a production key must come from somewhere else.
    problems.push(
      'CURSOR_SECRET: production needs a key for cursors; set CURSOR_SECRET (32+ random characters) or a non-development JWT_SECRET',
    );
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return Object.freeze({
    ...parsed.data,
    CORS_ORIGINS: Object.freeze([...parsed.data.CORS_ORIGINS]) as string[],
    TRUSTED_PROXIES: Object.freeze([...parsed.data.TRUSTED_PROXIES]) as string[],
    CURSOR_SECRET_PREVIOUS: Object.freeze([...parsed.data.CURSOR_SECRET_PREVIOUS]) as string[],
    ENVIRONMENT: envName,
    VERSION: packageVersion(),
  });
}
