import type { TextClause, TextQuery } from '../../query/types.js';

/**
 * Builds an FTS5 MATCH expression from the parsed user query. Every token is emitted as a double-quoted string,
 * so nothing the user types (AND, NOT, NEAR, *, ^, :, parentheses) is ever read as FTS5 syntax; tokens are
 * already letters and digits only, so quoting cannot be escaped.
 */
const quote = (token: string) => `"${token.replace(/"/g, '""')}"`;

export function clauseToFts(clause: TextClause): string {
  const own = quote(clause.tokens.join(' ')) + (clause.prefix ? '*' : '');
  if (!clause.synonyms?.length) return own;
  return `(${[own, ...clause.synonyms.map((s) => quote(s.join(' ')))].join(' OR ')})`;
}

/**
 * One phrase of a MATCH expression as FTS5's bm25 sees it: each quoted string is a phrase with its own idf and
 * its own instances in a row (only within its column filter), whether it stands alone or is one branch of an OR.
 */
export interface Phrase {
  /** The phrase alone as a MATCH expression, its column filter included: what its idf counts. */
  fts: string;
  /** Its tokens, the last one a prefix if asked (no synonyms: each synonym is a phrase of its own). */
  clause: TextClause;
  /** The FTS5 columns it is limited to; null for every column. */
  columns: string[] | null;
}

/** The phrases of a clause in the order clauseToFts writes them: the clause itself, then each synonym. */
export function clausePhrases(clause: TextClause): Phrase[] {
  const own: TextClause = { tokens: clause.tokens, prefix: clause.prefix };
  const synonyms = (clause.synonyms ?? []).map((tokens): TextClause => ({ tokens, prefix: false }));
  return [own, ...synonyms].map((c) => ({ fts: clauseToFts(c), clause: c, columns: null }));
}

export function matchExpression(text: TextQuery): { match: string | null; exclude: string | null } {
  const must = text.must.map(clauseToFts);
  const not = text.mustNot.map(clauseToFts);
  return {
    match: must.length ? must.join(' AND ') : null,
    exclude: not.length ? not.join(' OR ') : null,
  };
}

/** A MATCH expression restricted to one column, for suggestions. */
export function columnPrefixMatch(col: string, tokens: string[]): string {
  return `{${col}} : ` + tokens.map((t, i) => quote(t) + (i === tokens.length - 1 ? '*' : '')).join(' AND ');
}
