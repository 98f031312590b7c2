import type { PopularityRow, SearchRow } from './types.js';

export const DAY_MS = 86_400_000;

/** The scoped keys' label (`scoped:<parent key id>`): one label for every key a parent minted. */
const SCOPED = 'scoped:';

/**
 * Whether a stored search counts towards its query's popularity, the first half of the suggestion rule (the
 * second, how many principals, is popularQueriesSql's): it found something (a suggestion must lead somewhere), it
 * had a query (a match-all search suggests nothing), and it was not a scoped key's. Scoped keys are minted by an
 * application for its own users and all stored under their parent's label, so their searches cannot be told
 * apart by who made them; and a scoped key sees only the documents its filter allows, so its hits say nothing of
 * what others would find.
 */
export const countsTowardsPopularity = (row: SearchRow): boolean =>
  row.hits > 0 && row.query !== '' && !row.principal.startsWith(SCOPED);

/** The UTC day a time falls in, as the epoch ms of its start. */
export const dayOf = (at: number): number => at - (at % DAY_MS);

/**
 * A flush's additions to the popularity table: the searches that count, summed per day, index, query and
 * principal, so each key appears once (PostgreSQL refuses an upsert that meets one key twice in a statement), in
 * the order of their keys: replicas upserting the same rows of a shared PostgreSQL at once then lock them in one
 * order, and cannot deadlock.
 */
export function popularityRows(searches: readonly SearchRow[]): PopularityRow[] {
  const rows = new Map<string, PopularityRow>();
  for (const s of searches) {
    if (!countsTowardsPopularity(s)) continue;
    const day = dayOf(s.at);
    const key = `${s.index}\u0000${s.query}\u0000${s.principal}\u0000${day}`;
    const row = rows.get(key);
    if (row) row.searches += s.searches;
    else rows.set(key, { day, index: s.index, query: s.query, principal: s.principal, searches: s.searches });
  }
  return [...rows.keys()].sort().map((key) => rows.get(key)!);
}
