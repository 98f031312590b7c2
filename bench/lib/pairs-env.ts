import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { createClusterEngine } from '../../src/engines/cluster/create.js';
import { loadSchemaFile } from '../../src/schema/load.js';
import { SearchService } from '../../src/service/search-service.js';
import { REPO } from './child.js';
import { SCHEMA, type Pkg } from './corpus.js';

/** Every Elasticsearch index the pair benchmarks make starts with this, apart from anyone else's on the node. */
export const ES_PREFIX = 'benchpairs-';
export const INDEX = 'packages';

/** Sift as the issue measures it: production mode, one process, rate limit off, anonymous reads, warn logs. */
export function productionEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    PORT: '0',
    ENVIRONMENT: 'production',
    JWT_SECRET: 'bench-only-secret-0123456789abcdef0123456789',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    LOAD_SAMPLE_DATA: 'false',
    DEFAULT_INDEX: INDEX,
    RATE_LIMIT_ENABLED: 'false',
    AUTH_PUBLIC_READS: 'true',
    WORKERS: '1',
    ELASTICSEARCH_INDEX_PREFIX: ES_PREFIX,
    ...extra,
  };
}

/** The running Elasticsearch's URL (the project's script starts one only when none runs). */
export function elasticsearchUrl(): string {
  const out = execFileSync('bash', [join(REPO, 'scripts/services/elasticsearch.sh'), 'start'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return (JSON.parse(out.trim().split('\n').at(-1)!) as { url: string }).url;
}

export function clusterConfig(url: string, extra: Record<string, string> = {}) {
  return loadConfig(
    {
      SEARCH_ENGINE: 'elasticsearch',
      ELASTICSEARCH_URL: url,
      ELASTICSEARCH_INDEX_PREFIX: ES_PREFIX,
      ELASTICSEARCH_REFRESH: 'false',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      ...extra,
    },
    '/nonexistent',
  );
}

/** Makes sure the full corpus is in Sift's `packages` index on the cluster (imports it when the count differs). */
export async function ensureElasticsearchIndex(url: string, pkgs: Pkg[]): Promise<void> {
  const engine = createClusterEngine(clusterConfig(url), 'elasticsearch');
  const service = new SearchService(engine);
  try {
    const info = await engine.getIndex(INDEX).catch(() => null);
    if (info?.documents === pkgs.length) return;
    await engine.dropIndex(INDEX);
    await service.putIndex(INDEX, loadSchemaFile(SCHEMA));
    // The path `sift import` takes, so the index is in the state an import leaves it: refreshed once at the end
    // and merged (ELASTICSEARCH_MERGE_AFTER_LOAD).
    await importLikeTheCli(service, INDEX, pkgs, 10_000);
  } finally {
    await engine.close();
  }
}

/**
 * Imports documents the way `sift import` does (SearchService.importStream: the engine's bulk load), in batches of
 * `batch`; throws if any document failed.
 */
export async function importLikeTheCli(
  service: SearchService,
  index: string,
  docs: readonly unknown[],
  batch: number,
): Promise<void> {
  async function* slices() {
    for (let i = 0; i < docs.length; i += batch) yield docs.slice(i, i + batch);
  }
  let failed = 0;
  await service.importStream(index, slices(), {
    written: (r) => (failed += r.failed),
    durable: () => undefined,
  });
  if (failed) throw new Error(`import into ${index}: ${failed} failed`);
}
