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
  CURSOR_SECRET: '',
  CURSOR_SECRET_PREVIOUS: '',
  ELASTICSEARCH_HOST: 'localhost',
  ELASTICSEARCH_PORT: '9200',
  ELASTICSEARCH_TIMEOUT: '30',
  ELASTICSEARCH_URL: '',
  ELASTICSEARCH_USERNAME: '',
  ELASTICSEARCH_PASSWORD: '',
  ELASTICSEARCH_API_KEY: '',
  ELASTICSEARCH_CA_FILE: '',
  ELASTICSEARCH_INDEX_PREFIX: '',
  ELASTICSEARCH_REFRESH: 'wait_for',
  ELASTICSEARCH_BULK_DOCS: '1000',
  ELASTICSEARCH_BULK_BYTES: String(5 * 1024 * 1024),
  ELASTICSEARCH_BULK_CONCURRENCY: '2',
  ELASTICSEARCH_RETRIES: '3',
  ELASTICSEARCH_MERGE_AFTER_LOAD: 'true',
  ELASTICSEARCH_NODE_TIMEOUT_MS: '3000',
  ELASTICSEARCH_REPLICAS: '0-1',
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
  CACHE_TTL_SECONDS: '60',
  CACHE_MAX_ENTRIES: '10000',
  REDIS_COMMAND_TIMEOUT_MS: '250',
  CACHE_NAMESPACE: '',
  TRUSTED_PROXIES: '',
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_SEARCH_PER_MINUTE: '1200',
  RATE_LIMIT_WRITE_PER_MINUTE: '300',
  RATE_LIMIT_ADMIN_PER_MINUTE: '60',
  MAX_FACETS: '16',
  MAX_FACET_BUCKETS: '100',
  ENGINE_TIMEOUT_MS: '10000',
  EMBEDDER_DEADLINE_MS: '30000',
  METRICS_ENABLED: 'true',
  AUTH_REQUIRED: 'true',
  AUTH_PUBLIC_READS: 'false',
  AUTH_KEY_CACHE_SECONDS: '5',
  AUTH_PROTECT_METRICS: 'false',
  JWT_ALGORITHM: 'HS256',
  JWT_PUBLIC_KEY_FILE: '',
  JWT_JWKS_FILE: '',
  JWT_ISSUER: '',
  JWT_AUDIENCE: '',
  SNAPSHOT_DIR: '',
  SNAPSHOT_REPOSITORY: '',
  ANALYTICS_ENABLED: 'true',
  ANALYTICS_SAMPLE_RATE: '1',
  ANALYTICS_RETENTION_DAYS: '30',
  ANALYTICS_BUFFER_SIZE: '50000',
  ANALYTICS_FLUSH_MS: '1000',
  ANALYTICS_SUGGESTIONS: 'true',
  ANALYTICS_SUGGEST_MIN_PRINCIPALS: '3',
  ANALYTICS_SUGGEST_MIN_ANONYMOUS: '0',
  ANALYTICS_SUGGEST_DAYS: '7',
  ANALYTICS_SUGGEST_REFRESH_MS: '60000',
  DATABASE_URL: '',
} as const satisfies Record<string, string>;

export type SettingName = keyof typeof BASE_DEFAULTS;

export const ENVIRONMENT_DEFAULTS: Record<Environment, Partial<Record<SettingName, string>>> = {
  development: {
    // A laptop is open by default; staging and production always need a credential for writes and admin.
    AUTH_REQUIRED: 'false',
    AUTH_PUBLIC_READS: 'true',
    LOG_LEVEL: 'debug',
    LOG_FORMAT: 'pretty',
    WORKERS: '1',
    CORS_ORIGINS: 'http://localhost:3000,http://localhost:8080',
    CACHE_TTL_SECONDS: '5',
    RATE_LIMIT_SEARCH_PER_MINUTE: '6000',
    RATE_LIMIT_WRITE_PER_MINUTE: '3000',
    RATE_LIMIT_ADMIN_PER_MINUTE: '600',
  },
  staging: {
    LOG_LEVEL: 'info',
    WORKERS: '2',
    ELASTICSEARCH_HOST: 'elasticsearch-staging',
    REDIS_HOST: '',
    CACHE_TTL_SECONDS: '30',
  },
  production: {
    LOG_LEVEL: 'warn',
    WORKERS: '4',
    JWT_EXPIRE_HOURS: '8',
    ELASTICSEARCH_HOST: 'elasticsearch-cluster',
    LOAD_SAMPLE_DATA: 'false',
    CORS_ORIGINS: 'https://app.example.com',
    CACHE_TTL_SECONDS: '60',
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
  SEARCH_ENGINE: 'Engine: `embedded` (SQLite FTS5), `elasticsearch` (8.x/9.x) or `opensearch` (2.x/3.x)',
  LOAD_SAMPLE_DATA: 'Load the bundled `packages` sample index when the data directory is empty',
  CORS_ORIGINS: 'Comma-separated allowed origins',
  JWT_SECRET: 'HS256 secret; production refuses the development value',
  JWT_EXPIRE_HOURS: 'Token lifetime (development 24, production 8)',
  CURSOR_SECRET:
    'Key that signs `next_cursor` (32+ characters; every process serving the same data needs the same one); empty = derived from `JWT_SECRET`, which production allows only when that is not the development secret',
  CURSOR_SECRET_PREVIOUS:
    'Comma-separated earlier cursor secrets, accepted for verification only, so paging survives a rotation; remove after the grace period',
  ELASTICSEARCH_HOST:
    'Cluster host for the elasticsearch/opensearch engines when `ELASTICSEARCH_URL` is empty',
  ELASTICSEARCH_PORT: 'Cluster port when `ELASTICSEARCH_URL` is empty',
  ELASTICSEARCH_TIMEOUT:
    'Cluster request timeout, seconds (searches are also bounded by `REQUEST_TIMEOUT_MS`)',
  ELASTICSEARCH_URL:
    'Cluster node URLs, comma-separated (`https://es1:9200,https://es2:9200`); overrides host and port',
  ELASTICSEARCH_USERNAME: 'Basic-auth user for the cluster (empty: none)',
  ELASTICSEARCH_PASSWORD: 'Basic-auth password for the cluster',
  ELASTICSEARCH_API_KEY: 'API key for the cluster (base64 `id:key`); used instead of basic auth when set',
  ELASTICSEARCH_CA_FILE: 'PEM file of the CA that signed the cluster certificate (https)',
  ELASTICSEARCH_INDEX_PREFIX:
    'Prefix of every index and alias Sift creates in the cluster (share a cluster safely)',
  ELASTICSEARCH_REFRESH:
    'Refresh after writes: `wait_for` (read-your-writes), `true` (force) or `false` (fastest)',
  ELASTICSEARCH_BULK_DOCS: 'Most documents in one bulk request',
  ELASTICSEARCH_BULK_BYTES: 'Most bytes in one bulk request',
  ELASTICSEARCH_BULK_CONCURRENCY: 'Bulk requests in flight at once per import',
  ELASTICSEARCH_RETRIES:
    'Retries (with exponential backoff) of writes the cluster pushes back (429/503/timeouts)',
  ELASTICSEARCH_NODE_TIMEOUT_MS:
    'With several cluster node URLs: longest one attempt on one node may take before Sift tries another and holds the node suspect until it answers a probe, within the request timeout (a hung node costs one attempt); keep it below `ENGINE_TIMEOUT_MS` and above the slowest legitimate request',
  ELASTICSEARCH_MERGE_AFTER_LOAD:
    '`sift import` into an empty index ends with a force-merge to one segment per 5 GB of a shard (faster searches on the new index)',
  ELASTICSEARCH_REPLICAS:
    'Replicas of each index Sift creates: a number, or a range kept by the number of data nodes (`0-1`: one replica wherever a second node exists)',
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
  REQUEST_TIMEOUT_MS:
    'Longest the server waits to receive a request, headers and body, from its first byte (408 past it, within 0.25 s)',
  CACHE_TTL_SECONDS:
    'Lifetime of a cached search or suggest result (development 5, staging 30, production 60); 0 disables the cache',
  CACHE_MAX_ENTRIES: 'Most results kept by the in-process cache (used when REDIS_HOST is empty)',
  REDIS_COMMAND_TIMEOUT_MS: 'Longest a Redis command may take before the request goes on without the cache',
  CACHE_NAMESPACE:
    'Prefix of every Redis key; empty = derived from the data the engine serves (host and DATA_DIR for the embedded engine)',
  TRUSTED_PROXIES:
    'Comma-separated proxy addresses or CIDRs whose X-Forwarded-For is believed; empty = use the socket address',
  RATE_LIMIT_ENABLED: 'Per-client request limits (by API key or principal, else client IP)',
  RATE_LIMIT_SEARCH_PER_MINUTE: 'Search and suggest requests per client per minute (development 6000)',
  RATE_LIMIT_WRITE_PER_MINUTE: 'Document writes and imports per client per minute (development 3000)',
  RATE_LIMIT_ADMIN_PER_MINUTE: 'Index management and key requests per client per minute (development 600)',
  MAX_FACETS: 'Most facets in one search',
  MAX_FACET_BUCKETS: 'Largest facet `size` (term buckets) and most ranges in one facet',
  ENGINE_TIMEOUT_MS:
    'Longest a search or suggest may wait for the engine before answering 504 ENGINE_TIMEOUT',
  EMBEDDER_DEADLINE_MS:
    "Longest a write or search waits for a vector field's embedder (every batch, retry and backoff) before answering 503 EMBEDDER_UNAVAILABLE",
  METRICS_ENABLED: 'Serve Prometheus metrics at `/metrics`',
  AUTH_REQUIRED:
    'Require a credential (API key or JWT) for writes and admin; only development may set false (then all is open)',
  AUTH_PUBLIC_READS: 'Allow search and suggest without a credential (development true, else false)',
  AUTH_KEY_CACHE_SECONDS:
    'How long a process trusts a looked-up API key; revocation reaches every replica within this bound',
  AUTH_PROTECT_METRICS: 'Require an admin credential for `/metrics`',
  JWT_ALGORITHM: 'The one accepted JWT algorithm: `HS256` (JWT_SECRET) or `RS256` (public key or JWKS file)',
  JWT_PUBLIC_KEY_FILE: 'RS256: PEM file with the public key (SPKI) or certificate',
  JWT_JWKS_FILE: 'RS256: JSON Web Key Set file (keys chosen by `kid`)',
  JWT_ISSUER: 'Required `iss` claim of JWTs; empty = not checked',
  JWT_AUDIENCE: 'Required `aud` claim of JWTs; empty = not checked',
  SNAPSHOT_DIR:
    'Embedded engine: directory of `sift snapshot` copies (one folder per snapshot); empty = `DATA_DIR/snapshots`',
  SNAPSHOT_REPOSITORY:
    'Cluster engines: name of the snapshot repository registered in the cluster (`PUT _snapshot/<name>`) that `sift snapshot` uses; empty = none',
  ANALYTICS_ENABLED:
    'Record searches, clicks and conversions for `/api/analytics` (see docs/operations.md for what is kept)',
  ANALYTICS_SAMPLE_RATE:
    'Share (0-1) of searches and events recorded; the same share of both keeps CTR unbiased',
  ANALYTICS_RETENTION_DAYS: 'Analytics rows older than this are deleted (checked hourly)',
  ANALYTICS_BUFFER_SIZE:
    'Searches and events held in memory between flushes; beyond it they are dropped and counted, never waited for',
  ANALYTICS_FLUSH_MS: 'How often the analytics buffer is written to its store, in one batch',
  ANALYTICS_SUGGESTIONS:
    "Popular queries join the index's own suggestions (`/api/suggest`; the rule: docs/operations.md); off with analytics",
  ANALYTICS_SUGGEST_MIN_PRINCIPALS:
    'A query is suggested once this many distinct principals (keys, JWT subjects; all anonymous callers count as one) searched it with hits',
  ANALYTICS_SUGGEST_MIN_ANONYMOUS:
    'Or once it had this many anonymous searches with hits (they cannot be told apart: one visitor could repeat a query); 0 = never',
  ANALYTICS_SUGGEST_DAYS: 'Searches of the last this many days (UTC, today included) make a query popular',
  ANALYTICS_SUGGEST_REFRESH_MS: 'How often each server reloads the popular queries from the analytics store',
  DATABASE_URL:
    'PostgreSQL URL for analytics (`postgres://user:password@host:5432/db`); empty = an SQLite file in `DATA_DIR`',
};
