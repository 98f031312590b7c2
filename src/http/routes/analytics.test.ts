import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeTestApp, type TestApp } from '../../../test/support/app.js';

describe('analytics routes with analytics off', () => {
  let t: TestApp;
  beforeAll(async () => {
    // An app built without a recorder is what ANALYTICS_ENABLED=false gives.
    t = await makeTestApp({ ANALYTICS_ENABLED: 'false' }, { empty: true });
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts events without keeping them, so a page posting clicks keeps working', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/events',
      payload: { type: 'click', index: 'books', q: 'dune', id: 'dune', position: 1 },
    });
    expect(res.statusCode).toBe(202);
    expect(json(res)).toEqual({ recorded: false });
  });

  it('answers reports with 404 ANALYTICS_DISABLED', async () => {
    for (const report of ['top-queries', 'no-results', 'clicks', 'latency']) {
      const res = await t.app.inject({ url: `/api/analytics/${report}?window=1h` });
      expect(res.statusCode, report).toBe(404);
      expect(json(res).error.code).toBe('ANALYTICS_DISABLED');
    }
  });

  it('refuses an event query with control characters, and a bad event, in the envelope', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/events',
      payload: { type: 'click', index: 'books', q: 'a\u0000b', id: 'dune', position: 1 },
    });
    expect(res.statusCode).toBe(400);
    expect(json(res).error.code).toBe('INVALID_REQUEST');
  });
});
