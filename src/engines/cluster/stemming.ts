import { porterStem } from '../../query/porter-stemmer.js';
import { tokenText, tokenize } from '../../query/text-query.js';
import type { TextClause, TextQuery } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';

/**
 * The english analyzer on the clusters. They index Sift's own tokens (mapping.ts); with `"analyzer": "english"`
 * each token is reduced to its Porter stem here, in the documents' token fields and in the query's words, by the
 * same stemmer FTS5's porter tokenizer runs on the embedded engine. The clusters' own stemming filters are not
 * used: the minimal distributions lack them, and where they exist they would stem some words differently.
 */

const stems = (schema: IndexSchema): boolean => schema.analyzer === 'english';

/** The words of a searchable field's value as its token field holds them, separated by single spaces. */
export function indexedText(schema: IndexSchema, value: string): string {
  return stems(schema) ? tokenize(value).map(porterStem).join(' ') : tokenText(value);
}

const stemClause = (c: TextClause): TextClause => ({
  ...c,
  tokens: c.tokens.map(porterStem),
  ...(c.synonyms ? { synonyms: c.synonyms.map((s) => s.map(porterStem)) } : {}),
});

/**
 * The query's words as the token fields hold them. Like FTS5, the word being typed is stemmed before it is taken
 * as a prefix; typo corrections are looked for among the stems. `normalized` (the exact-name signal) stays as typed.
 */
export function analyzedText(schema: IndexSchema, text: TextQuery): TextQuery {
  if (!stems(schema)) return text;
  return { ...text, must: text.must.map(stemClause), mustNot: text.mustNot.map(stemClause) };
}

/** The stem of a single token under the index's analyzer (suggestions' typed words). */
export const analyzedToken = (schema: IndexSchema, token: string): string =>
  stems(schema) ? porterStem(token) : token;
