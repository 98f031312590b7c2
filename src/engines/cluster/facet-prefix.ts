import { facetPrefixMatcher } from '../../query/facet-prefix.js';
import type { FacetRequest, FacetResult } from '../../query/types.js';

/**
 * Facet value search on a cluster, as a terms aggregation's `include`: a Lucene regular expression over the bucket
 * values. Without typos it is the prefix itself. With typos, a regular expression of every edit of the prefix
 * grows with the cube of its length at two typos (past the 1,000 characters OpenSearch allows), and Elasticsearch
 * builds without scripting languages have no script to run the matcher in; so the cluster counts the candidates
 * (a superset, see typoCandidatePattern) and Sift keeps those the shared matcher of query/facet-prefix.ts accepts,
 * the same values the embedded engine counts.
 */

/** Candidate values counted for a facet value search with typos; past this many the answer is partial. */
export const TYPO_CANDIDATES = 10_000;

/** One character of a pattern: ASCII letters in either case (as SQLite's LIKE), Lucene's reserved ones escaped. */
function patternChar(c: string): string {
  if (/[a-zA-Z]/.test(c)) return `[${c.toLowerCase()}${c.toUpperCase()}]`;
  if (/[.?+*|{}[\]()"\\#@&<>~]/.test(c)) return `\\${c}`;
  return c;
}
const pattern = (chars: string[]) => chars.map(patternChar).join('');

/** The values starting with the prefix (ASCII letters in either case, every other character exactly). */
export const prefixPattern = (prefix: string): string => `${pattern([...prefix])}.*`;

/**
 * A superset of the values within `typos` of the prefix: the first character, then one of 2 x typos + 1 pieces of
 * the rest of the prefix, where it stands in the prefix give or take `typos` characters. Within k edits, at most
 * 2k pieces are touched (a swap of two neighbours may touch two), so one piece is intact, and each insertion or
 * deletion before it moves it by one. A rest too short for the pieces leaves the first character alone.
 */
export function typoCandidatePattern(prefix: string, typos: number): string {
  const [first, ...rest] = [...prefix];
  const count = 2 * typos + 1;
  if (rest.length < count) return `${patternChar(first!)}.*`;
  const pieces: string[] = [];
  for (let i = 0, start = 0; i < count; i++) {
    const end = Math.round(((i + 1) * rest.length) / count);
    const lo = Math.max(0, start - typos);
    pieces.push(`.{${lo},${start + typos}}${pattern(rest.slice(start, end))}`);
    start = end;
  }
  return `${patternChar(first!)}(${pieces.join('|')}).*`;
}

/** The terms aggregation of a facet value search (or of a plain facet) over the value path `field`. */
export function termsAgg(field: string, facet: FacetRequest): Record<string, unknown> {
  return {
    field,
    size: facet.typos ? TYPO_CANDIDATES : facet.size,
    order: [{ _count: 'desc' }, { _key: 'asc' }],
    ...(facet.prefix === undefined
      ? {}
      : {
          include: facet.typos
            ? typoCandidatePattern(facet.prefix, facet.typos)
            : prefixPattern(facet.prefix),
          // OpenSearch 2.16 to 2.19 fail a shard (index out of bounds, opensearch-project/OpenSearch#19636) when
          // a pattern that is a set of prefixes then `.*` has a prefix past the last value, on the ordinals path;
          // counting the matches' values in a map never takes it, and a value search counts few values.
          execution_hint: 'map',
        }),
  };
}

/**
 * The buckets of a facet value search with typos: the candidates the matcher accepts, in the cluster's order, up
 * to the facet's size; `complete` is false when candidates were left uncounted (more than TYPO_CANDIDATES).
 */
export function typoBuckets(
  facet: FacetRequest,
  buckets: NonNullable<FacetResult['buckets']>,
  leftOut: number,
): { buckets: NonNullable<FacetResult['buckets']>; complete: boolean } {
  const matches = facetPrefixMatcher(facet.prefix!, facet.typos!);
  return {
    buckets: buckets.filter((b) => matches(String(b.value))).slice(0, facet.size),
    complete: leftOut === 0,
  };
}
