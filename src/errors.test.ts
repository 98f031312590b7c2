import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, SiftError } from './errors.js';

describe('error catalogue', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

  it('documents every code with its status in docs/errors.md, and nothing else', () => {
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(rows).toEqual(Object.entries(ERRORS).map(([code, e]) => [code, e.status]));
  });

  it('lists every status the catalogue can answer among the statuses Sift answers', () => {
    const section = doc.slice(doc.indexOf('## Every status Sift answers'), doc.indexOf('## Codes'));
    const listed = [...section.matchAll(/^\| (\d{3}) \|/gm)].map((m) => Number(m[1]));
    for (const e of Object.values(ERRORS)) expect(listed).toContain(e.status);
    expect(listed).toEqual([...listed].sort((a, b) => a - b));
  });

  it('uses only client or dependency statuses, plus 500 for bugs', () => {
    for (const [code, e] of Object.entries(ERRORS)) {
      expect(e.status === 500 ? code : 'ok').toMatch(/^(ok|INTERNAL)$/);
      expect(e.status).toBeGreaterThanOrEqual(400);
    }
  });

  it('builds the response body of the HTTP contract', () => {
    const err = new SiftError('INVALID_FILTER', 'bad', { position: 3 });
    expect(err.status).toBe(400);
    expect(err.toBody()).toEqual({
      error: { code: 'INVALID_FILTER', message: 'bad', details: { position: 3 } },
    });
  });
});
