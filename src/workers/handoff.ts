import type { FastifyInstance } from 'fastify';

/**
 * A worker handing its traffic over to its replacement (rolling restart). Unlike a shutdown, requests keep being
 * answered normally — the other workers are there, nobody needs a 503 — but every response carries
 * `Connection: close`, so keep-alive clients leave this worker at the end of their current request instead of
 * having an idle connection closed under them (the race that turns into ECONNRESET on the client).
 */
export const handoffState = { active: false };

export function registerHandoff(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (handoffState.active) reply.header('connection', 'close');
    return payload;
  });
}
