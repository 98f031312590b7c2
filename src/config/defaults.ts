/** Per-environment defaults, layered under environment variables (after the seed's EnvironmentConfig). */
export const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The development JWT secret: fine on a laptop, refused in production. */
export const DEVELOPMENT_JWT_SECRET = 'development-secret';

export const BASE_DEFAULTS = {
  HOST: '0.0.0.0',
  PORT: '8000',
  WORKERS: '1',
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'json',
  DATA_DIR: './var/data',
  DEFAULT_INDEX: 'packages',
  SEARCH_ENGINE: 'embedded',
  LOAD_SAMPLE_DATA: 'true',
  CORS_ORIGINS: '',
  JWT_SECRET: DEVELOPMENT_JWT_SECRET,
  JWT_EXPIRE_HOURS: '24',
  ELASTICSEARCH_HOST: 'localhost',
  ELASTICSEARCH_PORT: '9200',
  ELASTICSEARCH_TIMEOUT: '30',
  REDIS_HOST: '',
  REDIS_PORT: '6379',
  REDIS_DB: '0',
  BODY_LIMIT_BYTES: String(10 * 1024 * 1024),
  MAX_PAGE_SIZE: '100',
  MAX_RESULT_WINDOW: '10000',
  MAX_QUERY_LENGTH: '512',
  MAX_QUERY_TERMS: '32',
  SHUTDOWN_GRACE_MS: '10000',
  KEEP_ALIVE_TIMEOUT_MS: '65000',
  REQUEST_TIMEOUT_MS: '30000',
} as const satisfies Record<string, string>;

export type SettingName = keyof typeof BASE_DEFAULTS;

export const ENVIRONMENT_DEFAULTS: Record<Environment, Partial<Record<SettingName, string>>> = {
  development: {
    LOG_LEVEL: 'debug',
    LOG_FORMAT: 'pretty',
    WORKERS: '1',
    CORS_ORIGINS: 'http://localhost:3000,http://localhost:8080',
  },
  staging: {
    LOG_LEVEL: 'info',
    WORKERS: '2',
    ELASTICSEARCH_HOST: 'elasticsearch-staging',
    REDIS_HOST: '',
  },
  production: {
    LOG_LEVEL: 'warn',
    WORKERS: '4',
    JWT_EXPIRE_HOURS: '8',
    ELASTICSEARCH_HOST: 'elasticsearch-cluster',
    LOAD_SAMPLE_DATA: 'false',
    CORS_ORIGINS: 'https://app.example.com',
  },
};

/** One line per setting for the README's configuration table and `sift config`. */
export const SETTING_DOCS: Record<SettingName, string> = {
  HOST: 'Interface to listen on',
  PORT: 'TCP port',
  WORKERS: 'Worker processes (development 1, staging 2, production 4)',
  LOG_LEVEL: 'fatal, error, warn, info, debug or trace',
  LOG_FORMAT: '`json` or `pretty` (development defaults to pretty)',
  DATA_DIR: 'Directory of the embedded engine database',
  DEFAULT_INDEX: 'Index served by `/api/search` and `/api/suggest`',
  SEARCH_ENGINE: 'Engine: `embedded` (SQLite FTS5); Elasticsearch/OpenSearch land with the engines issue',
  LOAD_SAMPLE_DATA: 'Load the bundled `packages` sample index when the data directory is empty',
  CORS_ORIGINS: 'Comma-separated allowed origins',
  JWT_SECRET: 'HS256 secret; production refuses the development value',
  JWT_EXPIRE_HOURS: 'Token lifetime (development 24, production 8)',
  ELASTICSEARCH_HOST: 'Elasticsearch host (used by the Elasticsearch engine)',
  ELASTICSEARCH_PORT: 'Elasticsearch port',
  ELASTICSEARCH_TIMEOUT: 'Elasticsearch request timeout, seconds',
  REDIS_HOST: 'Redis host for the shared cache; empty = in-process cache',
  REDIS_PORT: 'Redis port',
  REDIS_DB: 'Redis database number',
  BODY_LIMIT_BYTES: 'Largest accepted request body (413 above)',
  MAX_PAGE_SIZE: 'Largest `size`',
  MAX_RESULT_WINDOW: 'Largest `page` x `size`; deeper pages need a cursor',
  MAX_QUERY_LENGTH: 'Longest `q`, characters',
  MAX_QUERY_TERMS: 'Most terms in `q`',
  SHUTDOWN_GRACE_MS: 'Longest a graceful shutdown may take before the process exits anyway',
  KEEP_ALIVE_TIMEOUT_MS: 'HTTP keep-alive idle timeout; keep it above any proxy idle timeout',
  REQUEST_TIMEOUT_MS: 'Longest a request may take',
};
