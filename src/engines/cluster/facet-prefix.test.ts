import { describe, expect, it } from 'vitest';
import { facetPrefixMatcher } from '../../query/facet-prefix.js';
import type { IndexSchema } from '../../schema/types.js';
import { readFacets } from './aggregations.js';
import { typoCandidatePattern } from './facet-prefix.js';

describe('the candidates of a facet value search with typos on a cluster', () => {
  it('hold every value the matcher accepts', () => {
    let seed = 5;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const word = (len: number) => Array.from({ length: len }, () => 'abcdAB.-'[rand(8)]).join('');
    let accepted = 0;
    for (let n = 0; n < 3000; n++) {
      const prefix = 'a' + word(2 + rand(14));
      const value = 'a' + word(rand(20));
      for (const typos of [1, 2]) {
        // The pattern's syntax here is also a JavaScript regular expression's, anchored as Lucene's always is.
        const candidate = new RegExp(`^(?:${typoCandidatePattern(prefix, typos)})$`, 's');
        if (facetPrefixMatcher(prefix, typos)(value)) {
          accepted++;
          expect(candidate.test(value), `${prefix} ${typos} ${value}`).toBe(true);
        }
      }
    }
    expect(accepted).toBeGreaterThan(300);
  });

  it('stays short: one piece of the prefix per alternative', () => {
    expect(typoCandidatePattern('pengiun', 1)).toBe('[pP](.{0,1}[eE][nN]|.{1,3}[gG][iI]|.{3,5}[uU][nN]).*');
    expect(typoCandidatePattern('x'.repeat(100), 2).length).toBeLessThan(1000);
    expect(typoCandidatePattern('pen', 1)).toBe('[pP].*');
  });

  it('keeps the candidates the matcher accepts, and is incomplete when the cluster left candidates out', () => {
    const schema = {
      id_field: 'id',
      fields: { p: { type: 'keyword', facet: true } },
    } as unknown as IndexSchema;
    const facets = [{ field: 'p', size: 1, prefix: 'pengiun', typos: 1 }];
    const buckets = [
      { key: 'Pearson', doc_count: 5 },
      { key: 'Penguin', doc_count: 3 },
      { key: 'penguin-kids', doc_count: 2 },
    ];
    const all = readFacets(facets, schema, { f0: { terms: { buckets, sum_other_doc_count: 0 } } });
    expect(all).toEqual({ facets: { p: { buckets: [{ value: 'Penguin', count: 3 }] } }, complete: true });
    const cut = readFacets(facets, schema, { f0: { terms: { buckets, sum_other_doc_count: 7 } } });
    expect(cut.complete).toBe(false);
  });
});
