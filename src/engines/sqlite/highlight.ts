import type Database from 'better-sqlite3';
import type { HighlightRequest } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { ftsTable, ITEM_SEPARATOR, searchableFields } from './ddl.js';
import { cached } from './statements.js';

// Stored text never contains C0 controls (documents are checked), so these cannot collide with content.
const OPEN = '\u0001';
const CLOSE = '\u0002';

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Highlights for one page of hits, from FTS5's own snippet(): it knows where the matched tokens are, including
 * prefix matches. The text is HTML-escaped and only the highlight tags are left as markup, so a client can
 * render a snippet as HTML without letting document content inject any. `oneScan`: read the match once instead
 * of looking each row up (see below).
 */
export function highlightRows(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  match: string,
  rowids: number[],
  hl: HighlightRequest,
  oneScan = false,
): Map<number, Record<string, string[]>> {
  const searchable = searchableFields(schema);
  const f = ftsTable(tid);
  const cols = hl.fields
    .map((field) => ({ field, idx: searchable.indexOf(field) }))
    .filter((c) => c.idx >= 0);
  const out = new Map<number, Record<string, string[]>>();
  if (!cols.length) return out;
  const select = cols
    .map((c, i) => `snippet(${f}, ${c.idx}, '${OPEN}', '${CLOSE}', '…', ${hl.snippet_tokens}) AS h${i}`)
    .join(', ');
  // `rowid IN` looks each row up in the posting lists: cheap, unless a prefix without its own prefix index has to
  // merge every matching term's postings again for each row; then one pass over the match (`+rowid`) is cheaper.
  const rows = cached(
    db,
    `SELECT rowid AS rid, ${select} FROM ${f} WHERE ${f} MATCH ? AND ${oneScan ? '+' : ''}rowid IN (${rowids.map(() => '?').join(', ')})`,
  ).all(match, ...rowids) as Record<string, unknown>[];
  for (const row of rows) {
    const marks: Record<string, string[]> = {};
    cols.forEach((c, i) => {
      const text = row[`h${i}`];
      if (typeof text === 'string' && text.includes(OPEN)) {
        // The items of a text list are apart in the index; in a snippet they read as separate pieces.
        const readable = text.split(` ${ITEM_SEPARATOR} `).join(' … ');
        marks[c.field] = [escapeHtml(readable).split(OPEN).join(hl.pre_tag).split(CLOSE).join(hl.post_tag)];
      }
    });
    out.set(row.rid as number, marks);
  }
  return out;
}
