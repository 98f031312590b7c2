/**
 * The layers of `src/`, bottom-up, declared once: docs/architecture.md draws them and src/architecture.test.ts
 * holds the code to them. A file may import files of its own room and of rooms on lower ranks, never a room on
 * its own rank (rooms side by side are independent) nor one above. Tests (`*.test.ts`) are leaves and are not
 * held to the ranks.
 *
 * A room is a set of paths relative to `src/`: a folder (ending in `/`) or a file; a file belongs to the room
 * with the longest path that contains it. The deployment tooling (`rollout/`) is a stack of its own beside the
 * server's, on the same ranks; only the CLI uses both.
 */
export interface Room {
  readonly name: string;
  readonly paths: readonly string[];
}

export const LAYERS: readonly (readonly Room[])[] = [
  [
    { name: 'errors', paths: ['errors.ts'] },
    { name: 'layers', paths: ['layers.ts'] },
    // The pages' browser code (search and analytics), bundled for the browser: a room of its own on the lowest
    // rank, so it can import no server code (it talks to the server through the public API only).
    { name: 'page', paths: ['page/'] },
  ],
  // What a valid index name is: configuration (DEFAULT_INDEX) and the schema layer both check names against it.
  [{ name: 'index-name', paths: ['schema/index-name.ts'] }],
  [
    { name: 'config', paths: ['config/'] },
    { name: 'schema', paths: ['schema/'] },
    // The rollout model: types, durations, deadlines, canary steps.
    { name: 'rollout', paths: ['rollout/'] },
  ],
  [
    { name: 'observability', paths: ['observability/'] },
    { name: 'ingest', paths: ['ingest/'] },
    { name: 'query', paths: ['query/'] },
    { name: 'metrics', paths: ['metrics/'] },
    { name: 'cache', paths: ['cache/'] },
    // A vector field's embedder (an OpenAI-compatible server): vectors for documents and for q, above the engines.
    { name: 'embedders', paths: ['embedders/'] },
    { name: 'rollout/platform', paths: ['rollout/platform/'] },
    { name: 'rollout/analysis', paths: ['rollout/analysis/'] },
  ],
  [
    { name: 'engines', paths: ['engines/'] },
    // Search analytics: the recorder's buffer and the stores (SQLite file or PostgreSQL) it flushes to.
    { name: 'analytics', paths: ['analytics/'] },
    { name: 'rollout/targets', paths: ['rollout/targets/'] },
    { name: 'rollout/traffic', paths: ['rollout/traffic/'] },
  ],
  [
    { name: 'auth', paths: ['auth/'] },
    { name: 'service', paths: ['service/'] },
    { name: 'rollout/strategies', paths: ['rollout/strategies/'] },
  ],
  [
    { name: 'http', paths: ['http/'] },
    // Opening a deployment (a target with its router) and what a command reports about it.
    {
      name: 'rollout/open',
      paths: ['rollout/open.ts', 'rollout/open-host.ts', 'rollout/status.ts', 'rollout/exit-codes.ts'],
    },
  ],
  [
    { name: 'app', paths: ['app.ts'] },
    // The composition root: engine, engine stack and service from the configuration, for every process.
    { name: 'compose', paths: ['compose.ts'] },
  ],
  [{ name: 'server', paths: ['server.ts'] }],
  [{ name: 'workers', paths: ['workers/'] }],
  [{ name: 'cli', paths: ['cli/'] }],
];

/**
 * Import cycles that are known and owned elsewhere, each with its reason. An entry whose cycle is gone fails the
 * test too, so the list only ever shrinks.
 */
export const KNOWN_CYCLES: readonly { readonly files: readonly string[]; readonly reason: string }[] = [];
