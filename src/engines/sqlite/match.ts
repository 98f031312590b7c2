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
