import { Type, type TSchema } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { authorize } from '../../auth/authenticator.js';
import { SiftError } from '../../errors.js';
import {
  DEFAULT_LIMIT,
  MAX_LIMIT,
  reportRange,
  TIME_PATTERN,
  WINDOW_PATTERN,
} from '../../analytics/range.js';
import type { AnalyticsRecorder } from '../../analytics/recorder.js';
import { EVENT_TYPES, type ReportRange } from '../../analytics/types.js';
import { errorResponses } from '../plugins/errors.js';
import { DocumentId, IndexName, UrlText } from '../schemas.js';
import { principalLabel } from '../plugins/search-analytics.js';

/** Highest rank a click may report: far beyond any page a person scrolls to. */
const MAX_POSITION = 100_000;
/** Longest query text an event may carry (it is cut to the stored length when normalized). */
const MAX_EVENT_QUERY = 4096;

const EventBody = Type.Object(
  {
    type: Type.Union(
      EVENT_TYPES.map((t) => Type.Literal(t)),
      { description: 'click: a result was opened; conversion: it led to what the page is for' },
    ),
    index: IndexName('The index that was searched'),
    q: UrlText({
      maxLength: MAX_EVENT_QUERY,
      description: 'The query as typed (no control characters); joined to searches by its normalized form',
    }),
    id: DocumentId,
    position: Type.Integer({
      minimum: 1,
      maximum: MAX_POSITION,
      description: '1-based rank of the document in the results',
    }),
  },
  { additionalProperties: false },
);

const ReportQuery = Type.Object(
  {
    index: Type.Optional(IndexName('Only this index (default: every index)')),
    from: Type.Optional(
      Type.String({
        pattern: TIME_PATTERN,
        description:
          'Start (inclusive): ISO-8601 date or time (UTC unless a zone is given) or epoch milliseconds',
      }),
    ),
    to: Type.Optional(
      Type.String({
        pattern: TIME_PATTERN,
        description: 'End (exclusive), like from; default now. A range ending before it starts is empty',
      }),
    ),

    window: Type.Optional(
      Type.String({
        pattern: WINDOW_PATTERN,
        description: 'Back from to when from is not given: 30m, 24h (default), 7d, 2w',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: `Rows (default ${DEFAULT_LIMIT})` }),
    ),
  },
  { additionalProperties: false },
);

const Range = {
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  index: Type.Union([Type.String(), Type.Null()], { description: 'null: every index' }),
};
const Query = { index: Type.String(), query: Type.String({ description: 'Normalized: NFKC, lower case' }) };

const TopQueries = Type.Object({ ...Query, searches: Type.Integer(), no_results: Type.Integer() });
const NoResult = Type.Object({ ...Query, searches: Type.Integer() });
const Clicks = Type.Object({
  ...Query,
  searches: Type.Integer(),
  clicks: Type.Integer(),
  conversions: Type.Integer(),
  ctr: Type.Number({ description: 'clicks / searches' }),
  avg_click_position: Type.Union([Type.Number(), Type.Null()], { description: 'null without clicks' }),
});
const Latency = Type.Object({
  index: Type.String(),
  searches: Type.Integer(),
  p50_ms: Type.Number(),
  p95_ms: Type.Number(),
  p99_ms: Type.Number(),
});

const TopResponse = Type.Object({ ...Range, queries: Type.Array(TopQueries) });
const NoResultsResponse = Type.Object({ ...Range, queries: Type.Array(NoResult) });
const ClicksResponse = Type.Object({ ...Range, queries: Type.Array(Clicks) });
const LatencyResponse = Type.Object({ ...Range, indexes: Type.Array(Latency) });

export interface AnalyticsRouteOptions {
  /** Null when ANALYTICS_ENABLED is false. */
  recorder: AnalyticsRecorder | null;
}

/**
 * Clicks and conversions in (a search key may post them: the page that searched sends them), and the reports
 * out (admin: they show what every user searched).
 */
export async function analyticsRoutes(
  fastify: FastifyInstance,
  { recorder }: AnalyticsRouteOptions,
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['analytics'];

  app.post(
    '/api/events',
    {
      // A scoped key's page posts its clicks too; the route reads nothing, so no filter is there to escape.
      config: { scope: 'search', appliesKeyFilter: true },
      schema: {
        tags,
        summary: 'Record a click or conversion',
        description:
          'Joined to the searches of the same index and normalized query. Answers 202 whether or not it was kept (sampling, analytics off, a full buffer).',
        body: EventBody,
        response: {
          202: Type.Object({
            recorded: Type.Boolean({ description: 'false: sampled out, turned off or dropped' }),
          }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      authorize(req.principal, 'search', req.body.index);
      const recorded =
        recorder?.recordEvent({
          at: Date.now(),
          type: req.body.type,
          index: req.body.index,
          q: req.body.q,
          id: req.body.id,
          position: req.body.position,
          principal: principalLabel(req.principal),
        }) ?? false;
      return reply.code(202).send({ recorded });
    },
  );

  const open = (): AnalyticsRecorder => {
    if (!recorder)
      throw new SiftError('ANALYTICS_DISABLED', 'analytics is turned off (ANALYTICS_ENABLED=false)');
    return recorder;
  };
  const envelope = (range: ReportRange) => ({
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    index: range.index ?? null,
  });
  const options = <R extends TSchema>(summary: string, description: string, body: R) => ({
    config: { scope: 'admin' as const },
    schema: {
      tags,
      summary,
      description,
      querystring: ReportQuery,
      response: { 200: body, ...errorResponses },
    },
  });

  app.get(
    '/api/analytics/top-queries',
    options(
      'Most searched queries',
      'Searches per (index, normalized query) in the range, most first.',
      TopResponse,
    ),
    async (req) => {
      const range = reportRange(req.query, Date.now());
      return { ...envelope(range), queries: await open().store.topQueries(range) };
    },
  );
  app.get(
    '/api/analytics/no-results',
    options(
      'Queries that found nothing',
      'Searches with a total of 0 per (index, normalized query), most first.',
      NoResultsResponse,
    ),
    async (req) => {
      const range = reportRange(req.query, Date.now());
      return { ...envelope(range), queries: await open().store.noResults(range) };
    },
  );
  app.get(
    '/api/analytics/clicks',
    options(
      'Click-through rate and average click position per query',
      'Every searched (index, normalized query) in the range, most searched first, with the clicks and conversions posted for it in the range.',
      ClicksResponse,
    ),
    async (req) => {
      const range = reportRange(req.query, Date.now());
      return { ...envelope(range), queries: await open().store.clicks(range) };
    },
  );
  app.get(
    '/api/analytics/latency',
    options(
      'Search latency percentiles per index',
      'Nearest-rank p50, p95 and p99 of the server time of recorded searches, per index.',
      LatencyResponse,
    ),
    async (req) => {
      const range = reportRange(req.query, Date.now());
      return { ...envelope(range), indexes: await open().store.latency(range) };
    },
  );
}
