import type { Engine } from '../engines/engine.js';
import { buildSearchRequest } from '../query/request.js';

/**
 * Pays for the engine's first searches before the server opens its port. The read path starts on first use
 * (the embedded engine's reader threads and their prepared statements, a cluster client's connections), and a
 * fresh instance that a proxy adds to rotation the moment it is ready would otherwise queue a burst of traffic
 * behind that start: long enough, on a busy machine, for searches to time out. `rounds` concurrent searches reach
 * every reader (each goes to the least busy one). A failure here is not the server's to report: the first real
 * request will meet it and answer it properly.
 */
export async function warmSearchPath(engine: Engine, index: string, rounds = 4): Promise<number> {
  const info = await engine.getIndex(index).catch(() => null);
  if (!info) return 0;
  const { request } = buildSearchRequest({ q: 'warm up', size: 1 }, info.schema);
  const done = await Promise.all(
    Array.from({ length: rounds }, () =>
      engine.search(index, request).then(
        () => 1,
        () => 0,
      ),
    ),
  );
  return done.reduce((a, b) => a + b, 0);
}
