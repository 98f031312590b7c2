import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, limitsFromConfig } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createEngine } from '../../src/engines/create.js';
import type { Engine } from '../../src/engines/engine.js';
import { SearchService } from '../../src/service/search-service.js';
import { tempDir } from './temp-dir.js';

export const INDEX = 'books';

/** A small schema exercising every field type, facets, sorting and suggestions. */
export const SCHEMA = {
  id_field: 'id',
  fields: {
    id: { type: 'keyword', sortable: true },
    title: { type: 'text', boost: 3 },
    summary: { type: 'text' },
    author: { type: 'keyword', searchable: true, facet: true, sortable: true },
    genre: { type: 'keyword', facet: true },
    pages: { type: 'integer', facet: true, sortable: true },
    rating: { type: 'float', sortable: true },
    published: { type: 'date', sortable: true },
    in_print: { type: 'boolean' },
  },
  ranking: { popularity: { field: 'pages', weight: 0.1 } },
  suggest: { field: 'title' },
};

export const DOCS = [
  {
    id: 'dune',
    title: 'Dune',
    summary: 'A desert planet, spice and a noble family at war.',
    author: 'Herbert',
    genre: 'scifi',
    pages: 412,
    rating: 4.6,
    published: '1965-08-01',
    in_print: true,
  },
  {
    id: 'dune-messiah',
    title: 'Dune Messiah',
    summary: 'The emperor of the desert planet faces a conspiracy.',
    author: 'Herbert',
    genre: 'scifi',
    pages: 256,
    rating: 3.9,
    published: '1969-10-15',
    in_print: true,
  },
  {
    id: 'foundation',
    title: 'Foundation',
    summary: 'A mathematician predicts the fall of a galactic empire.',
    author: 'Asimov',
    genre: 'scifi',
    pages: 255,
    rating: 4.2,
    published: '1951-05-01',
    in_print: true,
  },
  {
    id: 'i-robot',
    title: 'I, Robot',
    summary: 'Stories of robots and the three laws.',
    author: 'Asimov',
    genre: 'scifi',
    pages: 253,
    rating: 4.1,
    published: '1950-12-02',
    in_print: false,
  },
  {
    id: 'emma',
    title: 'Emma',
    summary: 'A young woman plays matchmaker in a country village.',
    author: 'Austen',
    genre: 'classic',
    pages: 474,
    rating: 4.0,
    published: '1815-12-23',
    in_print: true,
  },
  {
    id: 'persuasion',
    title: 'Persuasion',
    summary: 'A second chance at love, years after a broken engagement.',
    author: 'Austen',
    genre: 'classic',
    pages: 249,
    rating: 4.1,
    published: '1817-12-20',
    in_print: true,
  },
  {
    id: 'hobbit',
    title: 'The Hobbit',
    summary: 'A hobbit leaves home with dwarves to face a dragon.',
    author: 'Tolkien',
    genre: 'fantasy',
    pages: 310,
    rating: 4.7,
    published: '1937-09-21',
    in_print: true,
  },
  {
    id: 'silmarillion',
    title: 'The Silmarillion',
    summary: 'Myths of the elder days, jewels and a dark lord.',
    author: 'Tolkien',
    genre: 'fantasy',
    pages: 365,
    rating: 3.9,
    published: '1977-09-15',
    in_print: true,
  },
  {
    id: 'earthsea',
    title: 'A Wizard of Earthsea',
    summary: 'A young wizard releases a shadow and must hunt it.',
    author: 'Le Guin',
    genre: 'fantasy',
    pages: 183,
    rating: 4.0,
    published: '1968-11-01',
    in_print: true,
  },
  {
    id: 'dispossessed',
    title: 'The Dispossessed',
    summary: 'A physicist travels between an anarchist moon and its planet.',
    author: 'Le Guin',
    genre: 'scifi',
    pages: 387,
    rating: 4.2,
    published: '1974-05-01',
    in_print: false,
  },
  {
    id: 'neuromancer',
    title: 'Neuromancer',
    summary: 'A washed-up hacker is hired for one last job in cyberspace.',
    author: 'Gibson',
    genre: 'scifi',
    pages: 271,
    rating: 3.9,
    published: '1984-07-01',
    in_print: true,
  },
  {
    id: 'hyperion',
    title: 'Hyperion',
    summary: 'Pilgrims tell their stories on the way to the Time Tombs.',
    author: 'Simmons',
    genre: 'scifi',
    pages: 482,
    rating: 4.3,
    published: '1989-05-26',
    in_print: true,
  },
];

export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig(
    {
      ENVIRONMENT: 'development',
      DATA_DIR: dataDir,
      DEFAULT_INDEX: INDEX,
      LOAD_SAMPLE_DATA: 'false',
      LOG_LEVEL: 'silent',
      LOG_FORMAT: 'json',
      HOST: '127.0.0.1',
      PORT: '0',
      ...env,
    },
    join(dataDir, 'no-such.env'),
  );
}

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  engine: Engine;
  service: SearchService;
  dataDir: string;
  close(): Promise<void>;
}

/** An app on a fresh data directory holding the `books` index with DOCS (unless `empty`). */
export async function makeTestApp(
  env: Record<string, string> = {},
  opts: { empty?: boolean } = {},
): Promise<TestApp> {
  const dataDir = tempDir('sift-http-').path;
  const config = testConfig(dataDir, env);
  const engine = await createEngine(config);
  await engine.open();
  const service = new SearchService(engine, limitsFromConfig(config));
  if (!opts.empty) {
    await service.putIndex(INDEX, SCHEMA);
    const result = await service.importDocuments(INDEX, DOCS);
    if (result.failed)
      throw new Error(`test documents refused: ${JSON.stringify(result.items.filter((i) => i.error))}`);
  }
  const app = await buildApp({ config, service });
  return {
    app,
    config,
    engine,
    service,
    dataDir,
    async close() {
      await app.close();
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Parses a light-my-request or fetch JSON body. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
export const json = <T = any>(res: { body: string }): T => JSON.parse(res.body) as T;
