import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AllowedMethods } from './allowed-methods.js';
import { SiftError, isSiftError } from '../../errors.js';
import { checkId } from '../../schema/document.js';
import { INDEX_NAME, checkIndexName } from '../../schema/index-name.js';
import { PATTERN_MEANINGS } from '../schemas.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Where in the body an index schema sits ('' for the whole body): a shape error inside it is INVALID_SCHEMA,
     * like the errors of the rules the code checks after the schema, so one kind of mistake has one code.
     */
    indexSchemaAt?: string;
    /** The body is relevance settings: a shape error anywhere in it is INVALID_SETTINGS. */
    settingsBody?: boolean;
    /** The body is a merge patch: a body that is not an object is INVALID_PATCH. */
    patchBody?: boolean;
    /** The body is curation rules: a shape error anywhere in it is INVALID_CURATION. */
    curationsBody?: boolean;
  }
}

/** The error body of the contract, as a schema for route documentation and serialization. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'Stable error code from docs/errors.md' }),
        message: Type.String(),
        details: Type.Optional(Type.Object({}, { additionalProperties: true })),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true, description: 'Every error: {"error": {"code", "message", "details"?}}' },
);

/** Response schemas shared by every API route: any 4xx or 5xx answer is an ErrorResponse. */
export const errorResponses = { '4xx': ErrorResponse, '5xx': ErrorResponse } as const;

interface AjvError {
  instancePath?: string;
  propertyName?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** `/facets/0/ranges/1/from` -> `facets[0].ranges[1].from`. */
function dotted(instancePath: string | undefined): string {
  if (!instancePath) return '';
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

const depth = (e: AjvError): number => (e.instancePath ? e.instancePath.split('/').length - 1 : 0);

/**
 * Turns Ajv's errors into one readable sentence naming the parameter or field and the problem:
 * `size: must be <= 100`, `unknown parameter "foo"`, `facets[0].size: must be integer`.
 */
export function describeValidation(
  errors: AjvError[],
  context: string | undefined,
): { message: string; field?: string; error?: AjvError } {
  const where = context === 'querystring' ? 'parameter' : context === 'params' ? 'path parameter' : 'field';
  const anyOf = errors.find((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  let chosen = errors.find((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf') ?? errors[0];
  if (anyOf) {
    // A union failed: the deepest branch error is the most specific, unless every branch failed on type alone.
    // (A branch that matched the type but failed inside reports at the same depth with another keyword.)
    const deeper = errors.filter(
      (e) =>
        e.keyword !== 'anyOf' &&
        e.keyword !== 'oneOf' &&
        (depth(e) > depth(anyOf) || (depth(e) === depth(anyOf) && e.keyword !== 'type')),
    );
    if (deeper.length) chosen = deeper.reduce((a, b) => (depth(b) > depth(a) ? b : a));
    else {
      const types = [
        ...new Set(
          errors
            .filter((e) => e.keyword === 'type' && e.instancePath === anyOf.instancePath)
            .map((e) => String(e.params?.type))
            .flatMap((t) => t.split(',')),
        ),
      ];
      const field = dotted(anyOf.instancePath);
      const expected = types.length ? types.join(' or ') : 'one of the documented shapes';
      return { message: `${field || 'body'}: must be ${expected}`, ...(field ? { field } : {}) };
    }
  }
  if (!chosen) return { message: `invalid ${context ?? 'request'}` };
  const path = dotted(chosen.instancePath);
  return { ...describeOne(chosen, path, where, context), error: chosen };
}

function describeOne(
  chosen: AjvError,
  path: string,
  where: string,
  context: string | undefined,
): { message: string; field?: string } {
  if (chosen.keyword === 'additionalProperties') {
    const extra = String(chosen.params?.additionalProperty);
    const name = path ? `${path}.${extra}` : extra;
    return { message: `${path ? `${path}: ` : ''}unknown ${path ? 'field' : where} "${extra}"`, field: name };
  }
  if (chosen.keyword === 'required') {
    const missing = String(chosen.params?.missingProperty);
    return {
      message: `${path ? `${path}: ` : ''}missing required ${path ? 'field' : where} "${missing}"`,
      field: path ? `${path}.${missing}` : missing,
    };
  }
  const meaning = chosen.keyword === 'pattern' ? PATTERN_MEANINGS[String(chosen.params?.pattern)] : undefined;
  // A property name refused by propertyNames is named, as Ajv's own message does not.
  const named = typeof chosen.propertyName === 'string' ? `name "${chosen.propertyName}" ` : '';
  const problem = meaning ? `${named}${meaning}` : (chosen.message ?? 'is invalid');
  if (!path && chosen.keyword === 'type' && context === 'body') {
    const type = String(chosen.params?.type);
    return {
      message: `the body must be a JSON ${type === 'array' ? 'array' : type === 'object' ? 'object' : type}`,
    };
  }
  if (!path) return { message: `${context ?? 'request'} ${problem}` };
  return { message: `${path}: ${problem}`, field: path };
}

/** The value an Ajv error points at, inside the request part it was validating. */
function valueAt(
  request: FastifyRequest,
  context: string | undefined,
  instancePath: string | undefined,
): unknown {
  const parts: Record<string, unknown> = {
    body: request.body,
    params: request.params,
    querystring: request.query,
    headers: request.headers,
  };
  let value = context ? parts[context] : undefined;
  for (const seg of (instancePath ?? '').split('/').slice(1)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

/**
 * Index names and document ids have codes of their own. The schemas carry their patterns (so the OpenAPI document
 * states them), and a value refused by the pattern gets the same code and words as the check in the code.
 */
function specificValidationError(
  errors: AjvError[],
  context: string | undefined,
  request: FastifyRequest,
): SiftError | null {
  const first = errors[0];
  if (!first || first.keyword !== 'pattern') return null;
  const value = valueAt(request, context, first.instancePath);
  if (typeof value !== 'string') return null;
  try {
    if (first.params?.pattern === INDEX_NAME.source) checkIndexName(value);
    else if (context === 'params' && first.instancePath === '/id') checkId(value);
  } catch (err) {
    if (isSiftError(err)) return err;
  }
  return null;
}

const MEDIA_TYPES: Record<string, string> = {
  'POST /api/indexes/:index/documents': 'application/json or application/x-ndjson',
  'PATCH /api/indexes/:index/documents': 'application/json or application/x-ndjson',
  'PATCH /api/indexes/:index/documents/:id': 'application/merge-patch+json or application/json',
};

const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined ||
  (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0');

/** Maps anything thrown while handling a request to the catalogue. Unknown errors become INTERNAL. */
export function toSiftError(err: unknown, request: FastifyRequest): SiftError {
  // An INTERNAL error's message is for the log (it may quote a driver or a cluster); the client gets the request id.
  if (isSiftError(err)) return err.code === 'INTERNAL' ? internal(request) : err;
  const e = err as Partial<FastifyError> & { validation?: AjvError[]; validationContext?: string };
  if (e && Array.isArray(e.validation)) {
    const specific = specificValidationError(e.validation, e.validationContext, request);
    if (specific) return specific;
    const { message, field, error } = describeValidation(e.validation, e.validationContext);
    const schemaAt = e.validationContext === 'body' ? request.routeOptions.config?.indexSchemaAt : undefined;
    const inIndexSchema =
      schemaAt !== undefined &&
      error !== undefined &&
      ((error.instancePath ?? '').startsWith(`${schemaAt}/`) ||
        ((error.instancePath ?? '') === schemaAt && error.keyword !== 'type'));
    // The relevance settings have their own code, inside a schema body too, as parseSettings reports them.
    const inSettings =
      e.validationContext === 'body' &&
      (request.routeOptions.config?.settingsBody === true ||
        (inIndexSchema &&
          /^\/(typo_tolerance|stop_words|synonyms)(\/|$)/.test(
            (error.instancePath ?? '').slice(schemaAt.length),
          )));
    const inPatch = e.validationContext === 'body' && request.routeOptions.config?.patchBody === true;
    // Curation rules likewise, as parseCurations reports them.
    const inCurations =
      e.validationContext === 'body' &&
      (request.routeOptions.config?.curationsBody === true ||
        (inIndexSchema && /^\/curations(\/|$)/.test((error.instancePath ?? '').slice(schemaAt.length))));
    const code = inCurations
      ? 'INVALID_CURATION'
      : inSettings
        ? 'INVALID_SETTINGS'
        : inIndexSchema
          ? 'INVALID_SCHEMA'
          : inPatch
            ? 'INVALID_PATCH'
            : 'INVALID_REQUEST';
    return new SiftError(code, message, {
      ...(field ? { field } : {}),
      location: e.validationContext ?? 'request',
    });
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const got = request.headers['content-type'];
      const accepted = MEDIA_TYPES[`${request.method} ${request.routeOptions.url}`] ?? 'application/json';
      return new SiftError(
        'UNSUPPORTED_MEDIA_TYPE',
        got
          ? `Content-Type "${String(got).slice(0, 100)}" is not accepted here; send ${accepted}`
          : `a body needs a Content-Type; send ${accepted}`,
        { accepted: accepted.split(' or ') },
      );
    }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SiftError(
        'PAYLOAD_TOO_LARGE',
        `the body is larger than the limit of ${request.routeOptions.bodyLimit ?? 'the configured'} bytes`,
        {
          limit_bytes: request.routeOptions.bodyLimit,
        },
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new SiftError('INVALID_JSON', 'the body is not valid JSON');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new SiftError('INVALID_JSON', 'the body is empty; send a JSON value');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new SiftError('INVALID_REQUEST', 'the body length does not match Content-Length');
    case 'FST_ERR_BAD_URL':
      return new SiftError('INVALID_REQUEST', 'the URL is not valid percent-encoding');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new SiftError('INVALID_REQUEST', 'a path segment is too long');
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new SiftError('INVALID_REQUEST', 'the request does not match any route constraint');
  }
  if (
    err instanceof SyntaxError &&
    e.statusCode === undefined &&
    request.body === undefined &&
    hasBody(request)
  ) {
    // A body was sent but never parsed: the SyntaxError came from a body parser, not from a bug in a handler.
    return new SiftError('INVALID_JSON', `the body is not valid JSON: ${err.message}`);
  }
  // Framework errors that already carry a client status (aborted bodies, bad headers) keep their meaning.
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status === 400) return new SiftError('INVALID_REQUEST', e.message ?? 'bad request');
  if (status === 413) return new SiftError('PAYLOAD_TOO_LARGE', e.message ?? 'the body is too large');
  if (status === 415) return new SiftError('UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported media type');
  if (status === 416)
    return new SiftError(
      'RANGE_NOT_SATISFIABLE',
      'the Range header is invalid or starts past the end of the file',
    );
  return internal(request);
}

const internal = (request: FastifyRequest): SiftError =>
  new SiftError('INTERNAL', `internal error; quote request id ${request.id} when reporting it`, {
    request_id: request.id,
  });

function send(reply: FastifyReply, error: SiftError): FastifyReply {
  if (error.status === 503 || error.status === 504 || error.status === 429) {
    const after = error.details?.retry_after;
    reply.header('retry-after', String(typeof after === 'number' ? Math.ceil(after) : 5));
  }
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.toBody());
}

/** Sends a catalogue error outside the normal handler chain (framework errors, hooks). */
export function sendError(reply: FastifyReply, error: SiftError): FastifyReply {
  reply.header('x-request-id', reply.request.id);
  return send(reply, error);
}

/**
 * One error handler and one not-found handler for the whole app, so every error a client sees is
 * `{"error": {"code", "message", "details"?}}` with the catalogue's status. 5xx are logged with the request id.
 * With `allowedMethods`, a path that exists for other methods answers 405 with Allow instead of 404.
 */
export type NoRouteHandler = (request: FastifyRequest, reply: FastifyReply) => FastifyReply;

export function installErrorHandling(app: FastifyInstance, allowedMethods?: AllowedMethods): NoRouteHandler {
  app.setErrorHandler((err, request, reply) => {
    const error = toSiftError(err, request);
    if (error.status >= 500) request.log.error({ err, code: error.code }, 'request failed');
    else request.log.info({ code: error.code, message: error.message }, 'request rejected');
    return send(reply, error);
  });

  const noRoute: NoRouteHandler = (request, reply) => {
    const path = (request.raw.url ?? request.url).split('?')[0] ?? '';
    const allow = allowedMethods?.(request) ?? [];
    if (allow.length > 0) {
      reply.header('allow', allow.join(', '));
      return send(
        reply,
        new SiftError(
          'METHOD_NOT_ALLOWED',
          `${request.method} is not allowed on ${path.slice(0, 200)}; it accepts ${allow.join(', ')}`,
          { method: request.method, allowed: allow },
        ),
      );
    }
    return send(
      reply,
      new SiftError('NOT_FOUND', `no route for ${request.method} ${path.slice(0, 200)}`, {
        method: request.method,
      }),
    );
  };
  app.setNotFoundHandler(noRoute);
  return noRoute;
}

/**
 * Answers a request no route matches before its body is read: otherwise a body-carrying method such as QUERY
 * without a Content-Type would be refused by the body parser (400) instead of getting its 405 or 404. Install it
 * after the hooks every request goes through (request ids, metrics, security headers, auth, rate limit), so an
 * unrouted request is still measured, authenticated and limited as before.
 */
export function answerUnroutedBeforeBody(app: FastifyInstance, noRoute: NoRouteHandler): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return noRoute(request, reply);
  });
}
