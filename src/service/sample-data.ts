import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { loadSchemaFile } from '../schema/load.js';
import type { SearchService } from './search-service.js';

/** The sample ships in the repository; found relative to this module both from source and from dist/. */
function sampleDir(): string {
  for (const rel of ['../../data/sample', '../../../data/sample']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}/packages.schema.yaml`)) return dir;
  }
  throw new Error('the bundled sample data (data/sample) is missing from this installation');
}

/**
 * Loads the bundled `packages` sample under the given index name when that index does not exist yet, so a
 * fresh `npm start` answers real queries. Returns the number of documents loaded (0 when it already existed).
 */
export async function loadSampleIfEmpty(
  service: SearchService,
  indexName: string,
  log: (msg: string) => void,
): Promise<number> {
  if (await service.engine.getIndex(indexName)) return 0;
  const dir = sampleDir();
  const schema = loadSchemaFile(`${dir}/packages.schema.yaml`);
  await service.putIndex(indexName, schema);
  log(`loading the bundled sample into index "${indexName}"`);
  let batch: unknown[] = [];
  let loaded = 0;
  const lines = createInterface({
    input: createReadStream(`${dir}/packages.ndjson.gz`).pipe(createGunzip()),
    crlfDelay: Infinity,
  });
  for await (const line of lines) {
    if (!line.trim()) continue;
    batch.push(JSON.parse(line));
    if (batch.length === 5000) {
      loaded += (await service.importDocuments(indexName, batch)).indexed;
      batch = [];
    }
  }
  if (batch.length) loaded += (await service.importDocuments(indexName, batch)).indexed;
  return loaded;
}

/**
 * Start-up sample loading for any engine. On the embedded engine a failure is fatal (the data directory is
 * broken); a cluster may simply not be up yet, so there it is logged and readiness stays 503 until data exists.
 */
export async function loadSampleAtStart(
  service: SearchService,
  config: { LOAD_SAMPLE_DATA: boolean; SEARCH_ENGINE: string; DEFAULT_INDEX: string },
  logger: { info(msg: string): void; warn(obj: object, msg: string): void },
): Promise<void> {
  if (!config.LOAD_SAMPLE_DATA) return;
  try {
    const loaded = await loadSampleIfEmpty(service, config.DEFAULT_INDEX, (m) => logger.info(m));
    if (loaded > 0) logger.info(`loaded ${loaded} sample documents into index "${config.DEFAULT_INDEX}"`);
  } catch (err) {
    if (config.SEARCH_ENGINE === 'embedded') throw err;
    logger.warn({ err }, `sample data not loaded: ${(err as Error).message}`);
  }
}
