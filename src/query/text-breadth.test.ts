import { describe, expect, it } from 'vitest';
import type { IndexSchema } from '../schema/types.js';
import { fieldSpec } from '../../test/support/schema.js';
import { errorOf } from '../../test/support/errors.js';
import { buildSearchRequest, DEFAULT_LIMITS } from './request.js';
import { TEXT_CLAUSE_BUDGET, textClauses } from './text-breadth.js';
import { parseTextQuery } from './text-query.js';

/** An index with `n` searchable text fields. */
function wide(n: number): IndexSchema {
  const fields: IndexSchema['fields'] = { id: fieldSpec('keyword') };
  for (let i = 0; i < n; i++) fields[`t${i}`] = fieldSpec('text', { searchable: true });
  return { id_field: 'id', fields, ranking: {} } as IndexSchema;
}

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
const limits = { ...DEFAULT_LIMITS, maxQueryTerms: 1024, maxQueryLength: 1_000_000 };

describe('text breadth', () => {
  it('counts a clause per word per searchable field, and one more per field for the word being typed', () => {
    expect(textClauses(parseTextQuery('a b c')!, 3)).toBe((3 + 1) * 3);
    expect(textClauses(parseTextQuery('a b -c')!, 3)).toBe(3 * 3);
    expect(textClauses(parseTextQuery('a b ')!, 3)).toBe(2 * 3);
    expect(textClauses(parseTextQuery('"a b c"')!, 2)).toBe(2);
  });

  it('answers the longest query that fits the clause budget on a wide index', () => {
    // 16 fields: 480 / 16 = 30 clauses per field, so 29 words plus the prefix of the last one.
    const { request } = buildSearchRequest({ q: words(29) }, wide(16), limits);
    expect(request.text?.must).toHaveLength(29);
  });

  it('refuses a query whose clauses would pass what the cluster engines accept, naming the allowance', () => {
    const err = errorOf(() => buildSearchRequest({ q: words(30) }, wide(16), limits));
    expect(err).toMatchObject({ code: 'INVALID_QUERY' });
    expect(err.message).toMatch(/30 words over 16 searchable fields.*about 29 words/);
    expect(err.details).toMatchObject({ limit: TEXT_CLAUSE_BUDGET });
  });

  it('lets a configured MAX_QUERY_TERMS of 1,024 through on a one-field index up to the budget', () => {
    expect(buildSearchRequest({ q: words(479) }, wide(1), limits).request.text?.must).toHaveLength(479);
    expect(errorOf(() => buildSearchRequest({ q: words(480) }, wide(1), limits))).toMatchObject({
      code: 'INVALID_QUERY',
    });
  });
});
