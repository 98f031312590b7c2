import type Database from 'better-sqlite3';
import { parseTextQuery } from '../../query/text-query.js';
import type { SuggestRequest, Suggestion } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { column, docsTable, ftsTable } from './ddl.js';
import { columnPrefixMatch } from './match.js';
import { cached } from './statements.js';

/**
 * Completions for what the user has typed so far: values of the schema's suggest field whose words start with
 * the typed words. Values that start with the whole typed text come first, then the most popular, then the
 * shortest, so "rea" offers "react" before "@types/react-dom".
 */
export function runSuggest(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  req: SuggestRequest,
): Suggestion[] {
  const field = schema.suggest!.field;
  const col = `d.${column(schema, field)}`;
  const text = parseTextQuery(req.prefix);
  const tokens = text ? text.must.flatMap((c) => c.tokens) : [];
  if (!tokens.length) return [];
  const pop = schema.ranking.popularity;
  const popOrder = pop ? `coalesce(d.${column(schema, pop.field)}, 0) DESC, ` : '';
  const lowered = req.prefix.toLowerCase();
  const startsWith = `(substr(lower(${col}), 1, ?) = ?) DESC, `;
  const order = `ORDER BY ${startsWith}${popOrder}length(${col}) ASC, d.id ASC LIMIT ?`;
  const params = [lowered.length, lowered];
  let rows: { text: string; id: string }[];
  if (schema.fields[field]!.searchable) {
    const f = ftsTable(tid);
    rows = cached(
      db,
      `SELECT ${col} AS text, d.id AS id FROM ${f} JOIN ${docsTable(tid)} d ON d.rowid = ${f}.rowid WHERE ${f} MATCH ? ${order}`,
    ).all(columnPrefixMatch(column(schema, field), tokens), ...params, req.size) as {
      text: string;
      id: string;
    }[];
  } else {
    rows = cached(
      db,
      `SELECT ${col} AS text, d.id AS id FROM ${docsTable(tid)} d WHERE substr(lower(${col}), 1, ?) = ? ${order}`,
    ).all(lowered.length, lowered, ...params, req.size) as { text: string; id: string }[];
  }
  return rows.filter((r) => r.text !== null).map((r) => ({ text: r.text, id: r.id }));
}
