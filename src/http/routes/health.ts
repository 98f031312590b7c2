import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/config.js';
import type { EngineHealth } from '../../engines/engine.js';
import type { SearchService } from '../../service/search-service.js';
import { errorResponses } from '../plugins/errors.js';
import type { AppState } from '../state.js';

const RETRY_AFTER_S = '5';

const Check = Type.Object(
  { ok: Type.Boolean(), detail: Type.Optional(Type.String()) },
  { additionalProperties: true },
);
const ReadyResponse = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
    checks: Type.Object(
      { engine: Check, default_index: Check, accepting: Check },
      { additionalProperties: Check },
    ),
  },
  { additionalProperties: true },
);
const SummaryResponse = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable'), Type.Literal('shutting_down')]),
    engine: Type.Object(
      {
        name: Type.String(),
        version: Type.String(),
        ok: Type.Boolean(),
        detail: Type.Optional(Type.String()),
      },
      { additionalProperties: true },
    ),
    version: Type.String(),
    environment: Type.String(),
    uptime_s: Type.Number(),
    indexes: Type.Array(
      Type.Object({ name: Type.String(), documents: Type.Integer() }, { additionalProperties: true }),
    ),
  },
  { additionalProperties: true },
);

async function engineHealth(service: SearchService): Promise<EngineHealth> {
  try {
    return await service.engine.health();
  } catch (err) {
    return {
      ok: false,
      engine: service.engine.name,
      version: 'unknown',
      detail: err instanceof Error ? err.message : String(err),
    };
  }
}

export async function healthRoutes(
  fastify: FastifyInstance,
  opts: { config: Config; service: SearchService; state: AppState },
): Promise<void> {
  const { config, service, state } = opts;
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['health'];

  app.get(
    '/health/live',
    {
      schema: {
        tags,
        summary: 'Liveness: 200 while the process can serve',
        response: { 200: Type.Object({ status: Type.Literal('ok') }), ...errorResponses },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags,
        summary:
          'Readiness: 200 when the engine answers and the default index is open; 503 otherwise and at once when shutting down',
        response: { 200: ReadyResponse, 503: ReadyResponse, ...errorResponses },
      },
    },
    async (_req, reply) => {
      const accepting = {
        ok: !state.shuttingDown,
        ...(state.shuttingDown ? { detail: 'shutting down' } : {}),
      };
      const engine = await engineHealth(service);
      let defaultIndex: { ok: boolean; detail?: string } = { ok: false, detail: 'engine unavailable' };
      if (engine.ok) {
        try {
          defaultIndex = (await service.engine.hasIndex(config.DEFAULT_INDEX))
            ? { ok: true }
            : { ok: false, detail: `index "${config.DEFAULT_INDEX}" does not exist` };
        } catch (err) {
          defaultIndex = { ok: false, detail: err instanceof Error ? err.message : String(err) };
        }
      }
      const checks = {
        engine: { ok: engine.ok, ...(engine.detail ? { detail: engine.detail } : {}) },
        default_index: defaultIndex,
        accepting,
      };
      const ok = engine.ok && defaultIndex.ok && accepting.ok;
      if (!ok) reply.code(503).header('retry-after', RETRY_AFTER_S);
      return { status: ok ? ('ok' as const) : ('unavailable' as const), checks };
    },
  );

  app.get(
    '/health',
    {
      schema: {
        tags,
        summary: 'Status summary: engine, version, environment, uptime, indexes',
        description: '200 when the engine answers, 503 otherwise.',
        response: { 200: SummaryResponse, 503: SummaryResponse, ...errorResponses },
      },
    },
    async (_req, reply) => {
      const engine = await engineHealth(service);
      let indexes: { name: string; documents: number }[] = [];
      if (engine.ok) {
        try {
          indexes = (await service.listIndexes()).map((i) => ({ name: i.name, documents: i.documents }));
        } catch {
          indexes = [];
        }
      }
      const status = !engine.ok
        ? ('unavailable' as const)
        : state.shuttingDown
          ? ('shutting_down' as const)
          : ('ok' as const);
      if (!engine.ok) reply.code(503).header('retry-after', RETRY_AFTER_S);
      return {
        status,
        engine: {
          name: engine.engine,
          version: engine.version,
          ok: engine.ok,
          ...(engine.detail ? { detail: engine.detail } : {}),
        },
        version: config.VERSION,
        environment: config.ENVIRONMENT,
        uptime_s: Math.round((Date.now() - state.startedAt) / 100) / 10,
        indexes,
      };
    },
  );
}
