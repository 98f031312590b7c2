/**
 * The one catalogue of Sift's error codes. Every error a client can see is built from an entry here, so the
 * code, its HTTP status and its meaning stay stable; docs/errors.md is checked against this table by a test.
 */
export const ERRORS = {
  INVALID_REQUEST: {
    status: 400,
    description:
      'The request is malformed: a parameter or body field has the wrong type, is unknown, or is out of range.',
  },
  INVALID_JSON: {
    status: 400,
    description: 'The body is not valid JSON (or a line of an NDJSON body is not).',
  },
  INVALID_FILTER: {
    status: 400,
    description: 'The filter expression or tree is invalid; the message names the position or the field.',
  },
  INVALID_QUERY: {
    status: 400,
    description: 'The full-text query cannot be used (too long, too many terms, control characters).',
  },
  INVALID_SORT: { status: 400, description: 'A sort field is unknown or not sortable.' },
  INVALID_FACET: {
    status: 400,
    description: 'A facet field is unknown or not declared as a facet, or its options are invalid.',
  },
  INVALID_FIELD: {
    status: 400,
    description:
      'A field named in fields, highlight, search_fields or distinct is unknown, not returned, not searchable or (distinct) not a keyword field (or named twice in search_fields).',
  },
  INVALID_CURSOR: {
    status: 400,
    description:
      'The cursor is not one Sift issued unchanged (or its key was retired), belongs to another index or query, or no longer fits the sort.',
  },
  INVALID_SCHEMA: {
    status: 400,
    description: 'An index schema is invalid; the message names the field and the problem.',
  },
  INVALID_SETTINGS: {
    status: 400,
    description:
      'Relevance settings (typo_tolerance, stop_words, synonyms) are invalid; the message names the setting and the problem.',
  },
  INVALID_CURATION: {
    status: 400,
    description:
      'A curation rule (pinned and hidden results) is invalid; the message names the rule and the problem.',
  },
  INVALID_INDEX_NAME: {
    status: 400,
    description:
      'An index name must be 1-64 characters of a-z, 0-9, "-" and "_", starting with a letter or digit.',
  },
  INVALID_DOCUMENT_ID: {
    status: 400,
    description: 'A document id must be 1-512 characters without control characters.',
  },
  INVALID_DOCUMENT: {
    status: 400,
    description: 'A document does not match its index schema; the message names the field.',
  },
  INVALID_PATCH: {
    status: 400,
    description:
      'A partial update is not a JSON object (a merge patch, RFC 7396), or a batch item is not {"id", "patch"}.',
  },
  WINDOW_TOO_LARGE: {
    status: 400,
    description:
      "page x size goes beyond the maximum result window (use a cursor to go deeper), or a federated multi-search's offset + limit goes beyond MAX_PAGE_SIZE.",
  },
  INVALID_HTTP: {
    status: 400,
    description:
      'The request is not valid HTTP/1.1 (a malformed request line or header, Content-Length together with Transfer-Encoding, a bad chunk); the connection is closed.',
  },
  INVALID_ENCODING: {
    status: 400,
    description: 'The body (JSON or NDJSON) is not valid UTF-8; the message gives the byte offset.',
  },
  UNAUTHORIZED: { status: 401, description: 'Credentials are missing or invalid.' },
  CREDENTIALS_EXPIRED: {
    status: 401,
    description: 'The API key, scoped key or token has expired; get a new one.',
  },
  FORBIDDEN: { status: 403, description: 'The credentials do not allow this operation or index.' },
  NOT_FOUND: { status: 404, description: 'No route answers this method and path.' },
  INDEX_NOT_FOUND: { status: 404, description: 'The index does not exist.' },
  DOCUMENT_NOT_FOUND: { status: 404, description: 'The document does not exist in the index.' },
  KEY_NOT_FOUND: { status: 404, description: 'No API key has this id.' },
  ANALYTICS_DISABLED: {
    status: 404,
    description:
      'Search analytics is turned off on this server (ANALYTICS_ENABLED=false): there is nothing to report.',
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    description: 'The path exists but not for this method; the Allow header lists the methods it accepts.',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    description:
      'The request (headers and body) was not received within REQUEST_TIMEOUT_MS; the connection is closed.',
  },
  INDEX_EXISTS: { status: 409, description: 'The index already exists with an incompatible schema.' },
  REINDEX_IN_PROGRESS: {
    status: 409,
    description: 'A reindex or rollback of this index is already running; retry when it has finished.',
  },
  NO_PREVIOUS_VERSION: {
    status: 409,
    description: 'The index has no previous version to roll back to (it was never reindexed).',
  },
  PATCH_CONFLICT: {
    status: 409,
    description:
      'A partial update kept meeting concurrent writes of the same document and gave up; nothing was written by it. Retry.',
  },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The body is larger than the configured limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The Content-Type is not one this route accepts.' },
  UNSUPPORTED_CHARSET: {
    status: 415,
    description: 'The Content-Type names a charset other than UTF-8; send UTF-8.',
  },
  UNSUPPORTED_CONTENT_ENCODING: {
    status: 415,
    description: 'The body has a Content-Encoding (gzip, deflate...); send it uncompressed (identity).',
  },
  RANGE_NOT_SATISFIABLE: {
    status: 416,
    description:
      'The Range header of a request for a static file (the /docs page) is invalid or past its end.',
  },
  EXPECTATION_FAILED: {
    status: 417,
    description: 'The Expect header asks for something other than 100-continue.',
  },
  SCHEMA_MISMATCH: {
    status: 422,
    description: 'A schema change is not compatible with the existing index (a field changed type).',
  },
  REINDEX_INCOMPATIBLE: {
    status: 422,
    description:
      'A document does not fit the schema of the version being built; the message names the document and field. Nothing was switched.',
  },
  DOCUMENT_REJECTED: {
    status: 422,
    description:
      'The search engine refused a document that passed the schema check (for example a value it cannot index); the message carries its reason.',
  },
  TOO_MANY_MATCHES: {
    status: 422,
    description:
      'A delete or update by filter matches more documents than its limit; nothing was changed. The details give the count: narrow the filter or raise the limit.',
  },
  RATE_LIMITED: {
    status: 429,
    description: 'Too many requests; retry after the number of seconds in Retry-After.',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    description:
      'The request line and headers are larger than the server accepts (16 KB); send long queries and filters with POST.',
  },
  INTERNAL: {
    status: 500,
    description: 'A bug in Sift. The response carries the request id to find it in the logs.',
  },
  ENGINE_UNAVAILABLE: {
    status: 503,
    description: 'The search engine cannot be reached; retry after Retry-After seconds.',
  },
  // 504, not 503: Sift itself is up, and a proxy in front (nginx counts upstream 502/503 answers as failures)
  // must not take every instance out of rotation because the machine was slow for a moment.
  ENGINE_TIMEOUT: {
    status: 504,
    description: 'The engine did not answer within ENGINE_TIMEOUT_MS; retry after Retry-After seconds.',
  },
  SHUTTING_DOWN: {
    status: 503,
    description: 'The process is draining for shutdown; another replica will answer.',
  },
  EMBEDDER_FAILED: {
    status: 502,
    description:
      "A vector field's embedder answered with something Sift cannot use (vectors of the wrong length or not numbers, an entry missing, a refusal such as a bad API key), or its API key variable is not set; nothing was written.",
  },
  EMBEDDER_UNAVAILABLE: {
    status: 503,
    description:
      "A vector field's embedder could not be reached or did not answer in time, after its retries; nothing was written. Retry after Retry-After seconds.",
  },
  DEPLOY_INVALID: {
    status: 400,
    description: 'A deploy command or its steps file is invalid; the message names the flag or step.',
  },
  DEPLOY_UNSUPPORTED: {
    status: 400,
    description: 'The target or traffic router cannot do this (for example weights on a Service selector).',
  },
  DEPLOY_LOCKED: {
    status: 409,
    description: "Another deploy holds the target's lock; the message names its owner and when it expires.",
  },
  DEPLOY_DEGRADED: {
    status: 409,
    description:
      'The live colour runs fewer ready instances than it asks for; a release would start from reduced capacity. Let it heal, or pass --force.',
  },
  DEPLOY_NO_RELEASE: {
    status: 409,
    description: 'promote, abort or rollback found no release in a state it can act on; nothing was changed.',
  },
  DEPLOY_TARGET_UNAVAILABLE: {
    status: 503,
    description:
      'The deploy target (the Kubernetes API server, nginx or the host) cannot be reached or refused.',
  },
  SNAPSHOT_INVALID: {
    status: 400,
    description:
      'A snapshot request cannot be carried out as asked: an invalid snapshot name, or no snapshot repository configured for a cluster engine (SNAPSHOT_REPOSITORY).',
  },
  SNAPSHOT_NOT_FOUND: {
    status: 404,
    description: 'No snapshot has this name (or the repository does not exist).',
  },
  SNAPSHOT_CONFLICT: {
    status: 409,
    description:
      'A snapshot with this name already exists, another snapshot or restore is running, or a restore target is in use (a running service holds the database: stop it or restore into a new data directory).',
  },
  SNAPSHOT_CORRUPT: {
    status: 422,
    description:
      'The snapshot does not match its manifest (checksum) or is incomplete; nothing was restored from it.',
  },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class SiftError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  /**
   * `options.cause` keeps what failed underneath (a driver's error, a cluster's answer) for logs and for code
   * that must tell failures apart; clients see only the code, the message and the details.
   */
  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SiftError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }

  toBody(): ErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
    };
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export const isSiftError = (err: unknown): err is SiftError => err instanceof SiftError;
