import type Database from 'better-sqlite3';
import { tokenize } from '../../query/text-query.js';
import type { TextClause } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { foldsFurther } from './bm25.js';
import { column, docsTable, PREFIX_INDEXES, searchableFields } from './ddl.js';
import { clauseToFts } from './match.js';
import { cached } from './statements.js';

/** Words being typed whose length has no prefix index: FTS5 merges the postings of every word they begin. */
export function mergedPrefixes(must: readonly TextClause[]): TextClause[] {
  return must.filter((c) => c.prefix && !PREFIX_INDEXES.includes([...c.tokens.at(-1)!].length));
}

/**
 * The MATCH that highlights a page of rows as the search's own does, without merging postings for each row.
 * Highlighting looks rows up by rowid in the match, and a word being typed with no prefix index of its length
 * (`"types"*`) merges the postings of every word it begins (`types`, `typescript`, ...) for each lookup: on 1M
 * documents that was a third of a common word's time. Here each such word becomes the words of the page's rows
 * it begins, OR-ed (`("types" OR "typescript")`): the rows still match, and the same words in them are marked.
 *
 * Null when the page's text holds a character FTS5 tokenizes unlike Sift's tokenizer (only FTS5 then knows which
 * words the prefix begins there) or when the index stems (its words are not the text's).
 */
export function pageHighlightMatch(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  match: string,
  prefixes: readonly TextClause[],
  rowids: readonly number[],
): string | null {
  if (!prefixes.length || !rowids.length) return match;
  if (schema.analyzer === 'english') return null;
  const cols = searchableFields(schema).map((n) => column(schema, n));
  const rows = cached(
    db,
    `SELECT ${cols.join(', ')} FROM ${docsTable(tid)} WHERE rowid IN (SELECT value FROM json_each(?))`,
  )
    .raw()
    .all(JSON.stringify(rowids)) as (string | null)[][];
  const words = new Set<string>();
  for (const row of rows)
    for (const text of row) {
      if (text === null) continue;
      if (foldsFurther(text)) return null;
      for (const w of tokenize(text)) words.add(w);
    }
  let out = match;
  for (const clause of prefixes) {
    const head = clause.tokens.slice(0, -1);
    const last = clause.tokens.at(-1)!;
    // The word as typed, whole, keeps the expression valid when no word of the page begins with it.
    const begun = [last, ...[...words].filter((w) => w !== last && w.startsWith(last))];
    const alternatives = begun.map((w) => clauseToFts({ tokens: [...head, w], prefix: false }));
    out = out
      .split(clauseToFts({ tokens: clause.tokens, prefix: true }))
      .join(`(${alternatives.join(' OR ')})`);
  }
  return out;
}
