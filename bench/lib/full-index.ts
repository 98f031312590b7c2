import { existsSync } from 'node:fs';
import { SqliteEngine } from '../../src/engines/sqlite/engine.js';
import { loadSchemaFile } from '../../src/schema/load.js';
import { SearchService } from '../../src/service/search-service.js';
import { SCHEMA, readCorpus, type Pkg } from './corpus.js';

/** Opens (building it once) an embedded index of the full corpus in `dir`, for the query benchmarks. */
export async function fullIndex(
  dir: string,
  pkgs?: Pkg[],
): Promise<{ engine: SqliteEngine; service: SearchService }> {
  const engine = new SqliteEngine({ dataDir: dir });
  await engine.open();
  const service = new SearchService(engine);
  const info = existsSync(`${dir}/sift.db`) ? await engine.getIndex('packages') : null;
  const corpus = pkgs ?? (await readCorpus());
  // An index left by an older engine layout opens but cannot answer: rebuild it as well.
  const answers = async () => {
    try {
      await service.search('packages', { q: 'react', size: 1 });
      return true;
    } catch {
      return false;
    }
  };
  if (!info || info.documents !== corpus.length || !(await answers())) {
    await engine.dropIndex('packages');
    await service.putIndex('packages', loadSchemaFile(SCHEMA));
    for (let i = 0; i < corpus.length; i += 10_000)
      await service.importDocuments('packages', corpus.slice(i, i + 10_000));
  }
  return { engine, service };
}
