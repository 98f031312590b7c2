import { SiftError } from '../errors.js';
import type { IndexSchema } from '../schema/types.js';
import type { TextQuery } from './types.js';

/**
 * A text query runs on the cluster engines as one clause per word per searchable field (plus one prefix clause
 * per field for the word being typed), and OpenSearch refuses a query of more than 1,024 clauses in all. The
 * filter may use up to 512 of them (256 conditions, a range counting two), and the ranking adds a few (the
 * exact-name boosts, the popularity function's filter), so the text gets a little less than the other half. The
 * check runs for every engine, so a query the embedded engine answers is one the clusters answer too.
 */
export const TEXT_CLAUSE_BUDGET = 480;

export function textClauses(text: TextQuery, searchableFields: number): number {
  const words = text.must.length + text.mustNot.length;
  const prefixes = text.must.filter((c) => c.prefix).length;
  // A word allowed typos adds a fuzzy clause per field, and the query as typed is repeated once to rank exact
  // hits above corrected ones.
  // A CJK word looked for inside tokens adds one clause per field the same way.
  const fuzzy = text.must.filter((c) => c.typos || c.infix).length;
  const exactAgain = fuzzy ? text.must.length : 0;
  // Each synonym is one more clause per field (twice with the repetition).
  const synonyms = text.must.reduce((n, c) => n + (c.synonyms?.length ?? 0), 0) * (fuzzy ? 2 : 1);
  return (words + prefixes + fuzzy + exactAgain + synonyms) * searchableFields;
}

export function checkTextBreadth(text: TextQuery | null, schema: IndexSchema): void {
  if (!text) return;
  let fields = 0;
  for (const name in schema.fields) if (schema.fields[name]!.searchable) fields++;
  const clauses = textClauses(text, fields);
  if (clauses <= TEXT_CLAUSE_BUDGET) return;
  const words = text.must.length + text.mustNot.length;
  const allowed = Math.max(1, Math.floor(TEXT_CLAUSE_BUDGET / Math.max(1, fields)) - 1);
  throw new SiftError(
    'INVALID_QUERY',
    `q has ${words} words over ${fields} searchable fields (${clauses} clauses); this index allows about ${allowed} words`,
    { words, searchable_fields: fields, clauses, limit: TEXT_CLAUSE_BUDGET },
  );
}
