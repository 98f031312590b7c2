import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { createClusterEngine } from '../../src/engines/cluster/create.js';
import type { ClusterEngine } from '../../src/engines/cluster/engine.js';
import { loadSchemaFile } from '../../src/schema/load.js';
import { SearchService } from '../../src/service/search-service.js';
import { REPO } from './child.js';
import { SCHEMA, type Pkg } from './corpus.js';

export type ClusterProduct = 'opensearch' | 'elasticsearch';

/**
 * The URL of the node the project's service script runs (scripts/services/<product>.sh), started if it is not
 * running. Benchmarks share it with the tests, under a prefix of their own.
 */
function nodeUrl(product: ClusterProduct): string {
  const script = join(REPO, `scripts/services/${product}.sh`);
  const status = (action: string) =>
    JSON.parse(
      execFileSync('bash', [script, action], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
        .trim()
        .split('\n')
        .at(-1)!,
    ) as { url?: string; running?: boolean };
  const now = status('status');
  if (now.running && now.url) return now.url;
  const started = status('start');
  if (!started.url) throw new Error(`${product} did not start`);
  return started.url;
}

/**
 * An index `packages` of these documents on a real cluster node, loaded through Sift's bulk path; `close` drops
 * it. Each run loads it again (a cluster index is cheap to rebuild at a benchmark's size and left nothing behind).
 */
export async function clusterIndex(
  product: ClusterProduct,
  pkgs: Pkg[],
): Promise<{ engine: ClusterEngine; service: SearchService; url: string; close: () => Promise<void> }> {
  const url = nodeUrl(product);
  const config = loadConfig(
    {
      SEARCH_ENGINE: product,
      ELASTICSEARCH_URL: url,
      ELASTICSEARCH_REFRESH: 'false',
      ELASTICSEARCH_TIMEOUT: '120',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    },
    '/nonexistent',
  );
  const engine = createClusterEngine(config, product, { prefix: `bench-relevance-${process.pid}-` });
  await engine.open();
  const service = new SearchService(engine);
  await engine.dropIndex('packages');
  await service.putIndex('packages', loadSchemaFile(SCHEMA));
  for (let i = 0; i < pkgs.length; i += 10_000) {
    const r = await service.importDocuments('packages', pkgs.slice(i, i + 10_000));
    if (r.failed) throw new Error(`${r.failed} documents failed to load into ${product}`);
  }
  await fetch(`${url}/${engine.catalogue.names.alias('packages')}/_refresh`, { method: 'POST' });
  return {
    engine,
    service,
    url,
    close: async () => {
      await engine.dropIndex('packages');
      // The engine's bookkeeping index goes too: nothing of the run stays in the shared node.
      await fetch(`${url}/${engine.catalogue.names.system}`, { method: 'DELETE' });
      await engine.close();
    },
  };
}
