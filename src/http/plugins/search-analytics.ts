import type { FastifyInstance, onSendHookHandler, RouteOptions } from 'fastify';
import type { Principal } from '../../auth/principal.js';
import type { AnalyticsRecorder } from '../../analytics/recorder.js';

/** The search routes whose answers are recorded; a fixed path searches DEFAULT_INDEX. */
const SEARCH_ROUTES = new Set(['/api/search', '/api/indexes/:index/search']);

/** Who a recorded search or event is attributed to: a credential's stable id, never an anonymous caller's IP. */
export const principalLabel = (principal: Principal | null | undefined): string =>
  !principal || principal.kind === 'anonymous' ? 'anonymous' : principal.id;

const toArray = <T>(hooks: T | T[] | undefined): T[] =>
  hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];

/**
 * Hands every answered search (a miss the service answered or a hit from the response cache) to the analytics
 * recorder, in an onSend hook: a push of references (the parsed input, the serialized answer) and the elapsed
 * time; everything else is worked out when the buffer is flushed. Must be registered before the routes.
 */
export function registerSearchAnalytics(
  app: FastifyInstance,
  recorder: AnalyticsRecorder,
  defaultIndex: string,
): void {
  const record: onSendHookHandler = function recordSearch(request, reply, payload, done) {
    if (reply.statusCode === 200 && (typeof payload === 'string' || Buffer.isBuffer(payload))) {
      const params = request.params as { index?: string } | undefined;
      recorder.recordSearch({
        at: Date.now(),
        index: params?.index ?? defaultIndex,
        input: request.method === 'POST' ? request.body : request.query,
        answer: payload,
        latencyMs: reply.elapsedTime,
        principal: principalLabel(request.principal),
      });
    }
    done(null, payload);
  };
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!SEARCH_ROUTES.has(route.url)) return;
    route.onSend = [...toArray(route.onSend), record];
  });
}
