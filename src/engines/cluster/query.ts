import { CORRECTED_NAME_SHARE, EXACT_TIER } from '../../query/relevance.js';
import { searchedFields } from '../../query/search-fields.js';
import type { HighlightRequest, SearchRequest, TextClause, TextQuery } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { planFacets } from './aggregations.js';
import { toClusterSortValue } from './cursor.js';
import { addDistinct } from './distinct.js';
import type { QueryDsl } from './filter.js';
import { exactPath, ID_PATH, tokenPath, valuePath } from './mapping.js';
import { analyzedText } from './stemming.js';

/**
 * SearchRequest -> search body. User text reaches the cluster only as single tokens inside term, prefix and
 * match_phrase queries on the whitespace-analyzed token fields: never query_string, never a script, so nothing a
 * user types is query syntax.
 */

/** A prefix match alone is worth this share of a whole-word match, so "expre" ranks "express" but below exact words. */
const PREFIX_WEIGHT = 0.5;

interface Weighted {
  name: string;
  boost: number;
  /** Typo tolerance applies to this field (not in the index's disable_on_fields). */
  typos: boolean;
}

/** The fields a text query searches: the request's choice with its weights, else every searchable field. */
const searchableFields = (schema: IndexSchema, text: TextQuery): Weighted[] => {
  const off = new Set(schema.typo_tolerance?.disable_on_fields ?? []);
  return searchedFields(schema, text.fields).map(({ field, boost }) => ({
    name: field,
    boost,
    typos: !off.has(field),
  }));
};

/**
 * The word with up to `typos` edits, the first character excepted (prefix_length 1), transpositions counting
 * one: the same corrections the embedded engine finds in its vocabulary. The default rewrite blends the
 * corrections' document frequencies, so a rare misspelling in the index does not outscore the common word.
 */
const fuzzy = (path: string, word: string, typos: number, boost: number): QueryDsl => ({
  fuzzy: { [path]: { value: word, fuzziness: typos, prefix_length: 1, transpositions: true, boost } },
});

function fieldClause(c: TextClause, path: string, boost: number, typosHere = true): QueryDsl {
  const phrase = c.tokens.join(' ');
  if (c.tokens.length === 1) {
    const term = { term: { [path]: { value: c.tokens[0], boost } } };
    const typos = typosHere ? (c.typos ?? 0) : 0;
    if (!c.prefix && !typos && !c.infix) return term;
    const should: QueryDsl[] = [term];
    if (c.prefix) should.push({ prefix: { [path]: { value: c.tokens[0], boost: boost * PREFIX_WEIGHT } } });
    if (typos) should.push(fuzzy(path, c.tokens[0]!, typos, boost));
    // A CJK word inside a longer token; tokens are letters and digits only, so nothing in it is a wildcard.
    if (c.infix) should.push({ wildcard: { [path]: { value: `*${c.tokens[0]}*`, boost } } });
    return { bool: { should, minimum_should_match: 1 } };
  }
  if (!c.prefix) return { match_phrase: { [path]: { query: phrase, boost } } };
  return { match_phrase_prefix: { [path]: { query: phrase, boost, max_expansions: 200 } } };
}

/**
 * With `combined_fields`, the word being typed matches other words with this prefix at this share of a field's
 * boost. Chosen by measurement: the top-10 overlap with the embedded engine on 300 real queries was 0.885 at
 * 0.5, 0.896 at 0.25 and 0.901 at 0.1 (FTS5 scores a prefix as one term, whatever it expands to).
 */
const COMBINED_PREFIX_WEIGHT = 0.1;

/** One clause matches in any searchable field (like an FTS5 term without a column filter). */
function clauseQuery(c: TextClause, fields: Weighted[]): QueryDsl {
  if (c.synonyms?.length) {
    // The words as typed or any synonym, each an ordinary clause of its own.
    const alternatives = [
      { ...c, synonyms: undefined },
      ...c.synonyms.map((tokens) => ({ tokens, prefix: false })),
    ];
    return { bool: { should: alternatives.map((a) => clauseQuery(a, fields)), minimum_should_match: 1 } };
  }
  const per = fields.map((f) => fieldClause(c, tokenPath(f.name), f.boost, f.typos));
  return per.length === 1 ? per[0]! : { bool: { should: per, minimum_should_match: 1 } };
}

/**
 * One word scored as FTS5 scores it: BM25F over the searchable fields taken as one document, the boosts
 * weighting the term frequency (`combined_fields`, Elasticsearch only; it needs boosts >= 1). Phrases keep the
 * per-field clauses.
 */
function combinedClause(c: TextClause, fields: Weighted[]): QueryDsl | null {
  if (c.tokens.length !== 1 || c.synonyms?.length || c.infix || fields.some((f) => f.boost < 1)) return null;
  const word = c.tokens[0]!;
  const combined = {
    combined_fields: { query: word, fields: fields.map((f) => `${tokenPath(f.name)}^${f.boost}`) },
  };
  const typos = c.typos ?? 0;
  if (!c.prefix && !typos) return combined;
  const prefixes = c.prefix
    ? fields.map((f) => ({
        prefix: { [tokenPath(f.name)]: { value: word, boost: f.boost * COMBINED_PREFIX_WEIGHT } },
      }))
    : [];
  const corrected = typos
    ? fields.filter((f) => f.typos).map((f) => fuzzy(tokenPath(f.name), word, typos, f.boost))
    : [];
  return { bool: { should: [combined, ...prefixes, ...corrected], minimum_should_match: 1 } };
}

function textParts(
  text: TextQuery | null,
  schema: IndexSchema,
  combinedFields: boolean,
): { must: QueryDsl[]; mustNot: QueryDsl[]; exactTier: QueryDsl | null } {
  const fields = text ? searchableFields(schema, text) : [];
  if (!text || fields.length === 0) return { must: [], mustNot: [], exactTier: null };
  // With corrections in play, hits matching the query as typed, every word whole, get a constant on top: they
  // all rank first. A word that only begins another is no such match: it competes with the corrections on score.
  const exactTier = text.must.some((c) => c.typos || c.infix)
    ? {
        constant_score: {
          filter: {
            bool: {
              must: text.must.map((c) =>
                clauseQuery({ ...c, typos: 0, prefix: false, infix: false }, fields),
              ),
            },
          },
          boost: EXACT_TIER,
        },
      }
    : null;
  return {
    must: text.must.map((c) => (combinedFields && combinedClause(c, fields)) || clauseQuery(c, fields)),
    mustNot: text.mustNot.map((c) => clauseQuery(c, fields)),
    exactTier,
  };
}

/** The schema's ranking signals around the relevance query: exact-name boost and log-scaled popularity. */
function ranked(
  bool: Record<string, unknown>,
  text: TextQuery | null,
  schema: IndexSchema,
  exactTier: QueryDsl | null,
): QueryDsl {
  const exact = schema.ranking.exact_match;
  const should: QueryDsl[] = exactTier ? [exactTier] : [];
  if (exact && text && text.normalized) {
    // A one-word query's corrections name packages too ("fkaer" -> faker), worth half the boost of the name as
    // typed, so that one still ranks first.
    const word = text.must.length === 1 && text.must[0]!.tokens.length === 1 ? text.must[0]! : null;
    for (const f of exact.fields) {
      const term = { term: { [exactPath(f)]: text.normalized } };
      should.push({ constant_score: { filter: term, boost: exact.boost } });
      if (!word?.typos) continue;
      should.push({
        constant_score: {
          filter: {
            bool: { filter: [fuzzy(exactPath(f), text.normalized, word.typos, 1)], must_not: [term] },
          },
          boost: exact.boost * CORRECTED_NAME_SHARE,
        },
      });
    }
  }
  if (should.length) bool.should = should;
  const query: QueryDsl = { bool };
  const pop = schema.ranking.popularity;
  if (!pop) return query;
  const path = valuePath(schema, pop.field);
  const nonNegative = { range: { [path]: { gte: 0 } } };
  return {
    function_score: {
      query,
      functions: [
        // weight * ln(1 + value), the same signal as the embedded engine's rank table.
        {
          filter: nonNegative,
          field_value_factor: { field: path, modifier: 'ln1p', missing: 0 },
          weight: pop.weight,
        },
        // Missing or negative values add nothing (ln1p of a negative is undefined); a function must still match,
        // or the cluster would add its default of 1.
        {
          filter: { bool: { must_not: [nonNegative] } },
          field_value_factor: { field: path, factor: 0, modifier: 'none', missing: 0 },
        },
      ],
      score_mode: 'sum',
      boost_mode: 'sum',
    },
  };
}

/**
 * Under the english analyzer a word also marks the words that begin with its stem ("run" marks "Running"): the
 * highlighter reads the original text with the standard analyzer, which has no stems, so this is the closest it
 * can come to FTS5, which marks the words of the same stem. It may also mark a word of another stem ("runner").
 */
function stemPrefix(stemmed: TextClause | undefined, path: string): QueryDsl[] {
  const stem = stemmed?.tokens.length === 1 ? stemmed.tokens[0] : undefined;
  return stem ? [{ prefix: { [path]: stem } }] : [];
}

function highlightBody(
  hl: HighlightRequest,
  text: TextQuery,
  stemmed: TextQuery,
  schema: IndexSchema,
): QueryDsl | null {
  const fields: Record<string, unknown> = {};
  for (const field of hl.fields) {
    const spec = schema.fields[field];
    if (!spec?.searchable) continue;
    // Keyword fields are highlighted through their standard-analyzed sub-field.
    const path = spec.type === 'keyword' ? `${field}.hl` : field;
    const should = text.must.flatMap((c, i): QueryDsl[] => {
      if (c.tokens.length > 1) return [{ match_phrase: { [path]: c.tokens.join(' ') } }];
      const plain = c.prefix
        ? { prefix: { [path]: c.tokens[0] } }
        : { match: { [path]: { query: c.tokens[0], operator: 'and' } } };
      const marks = stemmed === text ? [plain] : [plain, ...stemPrefix(stemmed.must[i], path)];
      // Corrected words are marked too, as on the embedded engine.
      if (!c.typos || schema.typo_tolerance?.disable_on_fields.includes(field)) return marks;
      return [...marks, { match: { [path]: { query: c.tokens[0], fuzziness: c.typos, prefix_length: 1 } } }];
    });
    if (!should.length) continue;
    fields[path] = { highlight_query: { bool: { should, minimum_should_match: 1 } } };
  }
  if (!Object.keys(fields).length) return null;
  return {
    type: 'unified',
    encoder: 'html',
    pre_tags: [hl.pre_tag],
    post_tags: [hl.post_tag],
    number_of_fragments: 1,
    // About snippet_tokens words of ordinary text.
    fragment_size: hl.snippet_tokens * 7,
    no_match_size: 0,
    require_field_match: true,
    fields,
  };
}

export function searchBody(
  schema: IndexSchema,
  req: SearchRequest,
  opts: { timeoutMs: number; combinedFields: boolean },
): QueryDsl {
  // The token fields hold stems under the english analyzer: the query's words are stemmed alike.
  const text = req.text && analyzedText(schema, req.text);
  const { must, mustNot, exactTier } = textParts(text, schema, opts.combinedFields);
  const plan = planFacets(req.filter, req.facets, schema);
  // Without text every match scores 0 and only the ranking signals order them, like the embedded engine.
  const bool: Record<string, unknown> = {
    must: must.length ? must : [{ match_all: { boost: 0 } }],
    ...(mustNot.length ? { must_not: mustNot } : {}),
    ...(plan.shared.length ? { filter: plan.shared } : {}),
  };
  const sort: QueryDsl[] = req.sort.map((c) =>
    c.field === '_score'
      ? { _score: { order: c.order } }
      : {
          [valuePath(schema, c.field)]: {
            order: c.order,
            missing: '_last',
            // A list sorts by its smallest value ascending, its largest descending (the clusters' default, said
            // out loud because the embedded engine does the same on purpose).
            ...(schema.fields[c.field]?.array ? { mode: c.order === 'asc' ? 'min' : 'max' } : {}),
          },
        },
  );
  sort.push({ [ID_PATH]: { order: 'asc' } });
  const body: QueryDsl = {
    query: ranked(bool, text, schema, exactTier),
    sort,
    size: req.size,
    from: req.after ? 0 : req.from,
    track_total_hits: req.trackTotal,
    timeout: `${Math.max(1, opts.timeoutMs)}ms`,
    _source: req.fields.length ? req.fields : false,
  };
  if (req.after) {
    body.search_after = [
      ...req.sort.map((c, i) => toClusterSortValue(schema, c, req.after!.values[i] ?? null)),
      req.after.id,
    ];
  }
  if (plan.postFilter) body.post_filter = plan.postFilter;
  if (req.facets.length) body.aggs = plan.aggs;
  if (req.highlight && req.text && text) {
    const hl = highlightBody(req.highlight, req.text, text, schema);
    if (hl) body.highlight = hl;
  }
  if (req.distinct) addDistinct(body, schema, req.distinct, plan.postFilter);
  return body;
}
