/** Longest normalized query kept: a longer one is cut here, so one search cannot store kilobytes. */
export const MAX_STORED_QUERY = 256;

/**
 * The form a query is counted under, for searches and for the clicks that join them: Unicode NFKC, lower case,
 * whitespace collapsed and trimmed. `React  Hooks` and `react hooks` are one query.
 */
export function normalizeQuery(q: string): string {
  return q.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim().slice(0, MAX_STORED_QUERY);
}
