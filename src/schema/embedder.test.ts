import { describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/errors.js';
import { embeddingText } from './embedder.js';
import { parseSchema } from './validate.js';

const schemaWith = (embedder: unknown, extra: Record<string, unknown> = {}) =>
  parseSchema({
    fields: {
      id: { type: 'keyword' },
      name: { type: 'text' },
      summary: { type: 'text' },
      tags: { type: 'keyword', array: true },
      stars: { type: 'integer' },
      v: { type: 'vector', dimensions: 8, embedder, ...extra },
    },
  });
const base = { source: 'rest', url: 'http://127.0.0.1:8080/', model: 'mini', fields: ['name', 'summary'] };

describe('the embedder of a vector field', () => {
  it('fills in the defaults and keeps the base URL without its trailing slash', () => {
    expect(schemaWith(base).fields.v!.embedder).toEqual({
      source: 'rest',
      url: 'http://127.0.0.1:8080',
      model: 'mini',
      fields: ['name', 'summary'],
      batch_size: 64,
      timeout_ms: 10_000,
      retries: 2,
    });
    const full = { ...base, url: 'https://e.example/v1/embeddings', api_key_env: 'EMBED_KEY', batch_size: 8 };
    expect(schemaWith(full).fields.v!.embedder).toMatchObject({
      url: 'https://e.example',
      api_key_env: 'EMBED_KEY',
      batch_size: 8,
    });
  });

  it('refuses what it cannot use, naming the vector field', () => {
    const bad: [unknown, RegExp][] = [
      [{ ...base, url: 'ftp://x/' }, /http or https/],
      [{ ...base, url: 'file:///etc/passwd' }, /http or https/],
      [{ ...base, url: 'http://user:secret@x/' }, /credentials/],
      [{ ...base, url: 'not a url' }, /not a valid URL/],
      [{ ...base, url: 'http://x/?key=1' }, /query/],
      [{ ...base, source: 'openai' }, /source/],
      [{ ...base, model: '' }, /model/],
      [{ ...base, fields: [] }, /fields/],
      [{ ...base, fields: ['nope'] }, /not declared/],
      [{ ...base, fields: ['stars'] }, /not text or keyword/],
      [{ ...base, api_key_env: 'sk-live-123' }, /environment variable/],
      [{ ...base, api_key: 'sk' }, /unknown key "api_key"/],
      [{ ...base, batch_size: 0 }, /batch_size/],
      [{ ...base, retries: 11 }, /retries/],
      ['http://x', /must be an object/],
    ];
    for (const [embedder, message] of bad) {
      const err = errorOf(() => schemaWith(embedder));
      expect(err, JSON.stringify(embedder)).toMatchObject({
        code: 'INVALID_SCHEMA',
        details: { field: 'v' },
      });
      expect(err.message).toMatch(message);
    }
    expect(errorOf(() => schemaWith(base, { required: true })).message).toMatch(/cannot be required/);
    expect(
      errorOf(() => parseSchema({ fields: { id: { type: 'keyword' }, t: { type: 'text', embedder: base } } }))
        .message,
    ).toMatch(/vector fields only/);
  });

  it('embeds the source fields one per line, lists flattened, empty values left out', () => {
    const spec = schemaWith({ ...base, fields: ['name', 'tags', 'summary'] }).fields.v!.embedder!;
    expect(embeddingText(spec, { name: ' Dune ', tags: ['scifi', ''], summary: '' })).toBe('Dune\nscifi');
    expect(embeddingText(spec, { stars: 3 })).toBe('');
  });
});
