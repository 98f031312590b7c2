import { describe, expect, it } from 'vitest';
import { isAnswerPath } from './security.js';

describe('isAnswerPath', () => {
  it('knows the API, health, metrics and the OpenAPI document as answers', () => {
    for (const url of [
      '/api/search?q=react',
      '/api/indexes/books/documents',
      '/health',
      '/health?verbose=1',
      '/health/live',
      '/metrics',
      '/metrics?x=1',
      '/openapi.json',
    ])
      expect(isAnswerPath(url), url).toBe(true);
  });

  it('treats pages, /docs and anything unknown as documents', () => {
    for (const url of [
      '/',
      '/?q=react',
      '/analytics',
      '/docs',
      '/docs/',
      '/page/app.js',
      '/apix',
      '/healthz',
      '/metricsx',
    ])
      expect(isAnswerPath(url), url).toBe(false);
  });
});
