/** Longest normalized query kept: a longer one is cut here, so one search cannot store kilobytes. */
export const MAX_STORED_QUERY = 256;

/**
 * The form a query is counted under, for searches and for the clicks that join them: Unicode NFKC, lower case,
 * white space and control characters collapsed to one space, trimmed. `React  Hooks` and `react hooks` are one
 * query. (PostgreSQL text cannot hold NUL: one such query would fail the whole batch it was flushed in.)
 */
export function normalizeQuery(q: string): string {
  return (
    q
      .normalize('NFKC')
      .toLowerCase()
      // eslint-disable-next-line no-control-regex -- replacing control characters is the point
      .replace(/[\s\u0000-\u001f\u007f]+/gu, ' ')
      .trim()
      .slice(0, MAX_STORED_QUERY)
  );
}
