import Database from 'better-sqlite3';
import { tokenize } from '../../query/text-query.js';
import type { TextClause } from '../../query/types.js';
import { ftsTable, TOKENIZE } from './ddl.js';
import { cached } from './statements.js';

/**
 * FTS5's bm25() recomputed outside FTS5, for a few candidate rows: FTS5 can only score a row inside a MATCH
 * scan, and that scan (with bm25's idf, which counts the phrase's whole posting list) is what a broad query
 * must not pay. The arithmetic follows FTS5's fts5Bm25Function operation by operation, with the idf's
 * logarithm taken by SQLite (the same libm as FTS5), the row count and token totals read from FTS5's own
 * records, so a score is the same double bm25() gives.
 *
 * Which rows match and their term frequencies come from tokenizing the row's text here. That equals FTS5's
 * unicode61 for ASCII text and for the letters text-query.ts folds as FTS5 does; a row where the two could
 * disagree (a letter that decomposes further, or a token count that differs from FTS5's own) is reported as
 * unsure, and the caller then lets FTS5 score every match.
 */

const K1 = 1.2;
const B = 0.75;

/** SQLite's varint: big-endian groups of 7 bits, the ninth byte whole. Returns [value, next offset]. */
function varint(buf: Buffer, at: number): [number, number] {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const byte = buf[at + i]!;
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) return [v, at + i + 1];
  }
  return [v * 256 + buf[at + 8]!, at + 9];
}

function varints(buf: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at < buf.length;) {
    const [v, next] = varint(buf, at);
    out.push(v);
    at = next;
  }
  return out;
}

export interface Bm25Stats {
  rows: number;
  avgdl: number;
  /** idf of each phrase, in the order of the MATCH expression. */
  idf: number[];
  /** Rows matching each phrase (what its idf is computed from). */
  hits: number[];
}

/** N, the average row length and each phrase's idf, as fts5Bm25GetData computes them. */
export function bm25Stats(db: Database.Database, tid: number, phrases: string[]): Bm25Stats {
  const f = ftsTable(tid);
  // The averages record (rowid 1 of the data table): the row count, then the token total of each column.
  const record = cached(db, `SELECT block FROM ${f}_data WHERE id = 1`).pluck().get() as Buffer | undefined;
  const [rows = 0, ...totals] = record ? varints(record) : [];
  const tokens = totals.reduce((a, b) => a + b, 0);
  const hits = phrases.map(
    (phrase) => cached(db, `SELECT count(*) FROM ${f} WHERE ${f} MATCH ?`).pluck().get(phrase) as number,
  );
  const idf = hits.map((n) => {
    const v = cached(db, `SELECT ln((? - ? + 0.5) / (? + 0.5))`).pluck().get(rows, n, n) as number;
    return v <= 0 ? 1e-6 : v;
  });
  return { rows, avgdl: tokens / rows, idf, hits };
}

/** Token counts of rows from FTS5's docsize table, summed over the columns (bm25's D). */
export function rowSizes(db: Database.Database, tid: number, rowids: number[]): Map<number, number> {
  const rows = cached(
    db,
    `SELECT id, sz FROM ${ftsTable(tid)}_docsize WHERE id IN (SELECT value FROM json_each(?))`,
  ).all(JSON.stringify(rowids)) as { id: number; sz: Buffer }[];
  return new Map(rows.map((r) => [r.id, varints(r.sz).reduce((a, b) => a + b, 0)]));
}

/** Occurrences of a phrase in a column's tokens (adjacent, in order; the last token as a prefix if asked). */
function occurrences(tokens: string[], clause: TextClause): number {
  const t = clause.tokens;
  let n = 0;
  for (let p = 0; p + t.length <= tokens.length; p++) {
    let ok = true;
    for (let j = 0; j < t.length && ok; j++) {
      const tok = tokens[p + j]!;
      ok = clause.prefix && j === t.length - 1 ? tok.startsWith(t[j]!) : tok === t[j];
    }
    if (ok) n++;
  }
  return n;
}

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/**
 * The code points (of the Basic Multilingual Plane) that text-query.ts tokenizes or folds differently from this
 * SQLite's FTS5 tokenizer (remove_diacritics 2 folds letters with several diacritics that it keeps; characters
 * newer than SQLite's Unicode tables), found once per thread by asking FTS5 itself: about 800 of 57,000.
 */
let differing: Set<number> | null = null;

function differingCodePoints(): Set<number> {
  if (differing) return differing;
  const mem = new Database(':memory:');
  try {
    mem.exec(
      `CREATE VIRTUAL TABLE t USING fts5(x, ${TOKENIZE}); CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')`,
    );
    const insert = mem.prepare('INSERT INTO t (rowid, x) VALUES (?, ?)');
    const sample = (c: number) => `a${String.fromCodePoint(c)}b`;
    const points: number[] = [];
    for (let c = 0x80; c <= 0xffef; c++) if (c < 0xd800 || c > 0xdfff) points.push(c);
    mem.transaction(() => points.forEach((c) => insert.run(c, sample(c))))();
    const fts = new Map<number, string[]>();
    for (const { doc, term } of mem.prepare('SELECT doc, term FROM v ORDER BY doc, offset').all() as {
      doc: number;
      term: string;
    }[]) {
      const list = fts.get(doc) ?? [];
      list.push(term);
      fts.set(doc, list);
    }
    differing = new Set(points.filter((c) => tokenize(sample(c)).join(' ') !== (fts.get(c) ?? []).join(' ')));
    return differing;
  } finally {
    mem.close();
  }
}

/** Text holding a character that is tokenized differently here and in FTS5: only FTS5 can judge its row. */
export function foldsFurther(text: string): boolean {
  const set = differingCodePoints();
  for (const ch of text) if (set.has(ch.codePointAt(0)!)) return true;
  return false;
}

/** unicode61 on ASCII text: letters and digits, lower-cased; everything else separates. */
const tokensOf = (text: string): string[] =>
  ASCII.test(text)
    ? text
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter(Boolean)
    : tokenize(text);

export type RowScore = { matches: boolean; text: number } | 'unsure';

/** A candidate row's text, with what scoring learns about it kept for the next query. */
export interface TextRow {
  /** The searchable values in FTS5 column order. */
  columns: (string | null)[];
  /** Its token count from FTS5 (bm25's D), set by the caller before scoreRow. */
  size?: number;
  /** The lower-cased text of an all-ASCII row, null for any other. */
  lower?: string | null;
  tokens?: string[][];
  /** Tokenized here unlike FTS5 (a token count that differs, a character FTS5 folds otherwise). */
  differs?: boolean;
}

/**
 * A phrase as a row is scored for it: its tokens, and the columns (FTS5 column indexes) its instances count in,
 * null for all of them, as a column filter limits a phrase in FTS5.
 */
export interface RowPhrase {
  clause: TextClause;
  columns: ReadonlySet<number> | null;
}

/**
 * False when the row cannot match: an ASCII row where some group (the alternatives of one query word) has no
 * phrase whose first token is anywhere in it.
 */
export function mayMatch(row: TextRow, groups: RowPhrase[][]): boolean {
  if (row.lower === undefined) {
    row.lower = row.columns.every((c) => c === null || ASCII.test(c))
      ? row.columns.map((c) => (c === null ? '' : c.toLowerCase())).join(' ')
      : null;
  }
  const lower = row.lower;
  return lower === null || groups.every((g) => g.some((p) => lower.includes(p.clause.tokens[0]!)));
}

/**
 * A phrase's instances in a row's tokens, and their weighted frequency as FTS5 sums it for bm25 (the column's
 * weight per instance; a weight of 0 still matches).
 */
function frequency(tokens: string[][], phrase: RowPhrase, weights: number[]): { n: number; f: number } {
  let n = 0;
  let f = 0;
  tokens.forEach((col, i) => {
    if (phrase.columns && !phrase.columns.has(i)) return;
    const here = occurrences(col, phrase.clause);
    n += here;
    // Added one occurrence at a time, in column order, as FTS5 walks the instances.
    for (let k = 0; k < here; k++) f += weights[i] ?? 1;
  });
  return { n, f };
}

/**
 * Whether a row matches (in every group some phrase, no `not` phrase anywhere) and its bm25 text score, or
 * 'unsure' when only FTS5 can tell. The score sums over every phrase of the groups in order, a group's
 * alternatives each with its own idf, as FTS5 does. `weights` are bm25's column weights; `row.size` must be set.
 */
export function scoreRow(
  row: TextRow,
  groups: RowPhrase[][],
  not: TextClause[],
  weights: number[],
  stats: Bm25Stats,
): RowScore {
  const size = row.size;
  if (size === undefined) return 'unsure';
  const tokens = (row.tokens ??= row.columns.map((c) => (c === null ? [] : tokensOf(c))));
  row.differs ??=
    tokens.reduce((a, t) => a + t.length, 0) !== size ||
    row.columns.some((c) => c !== null && !ASCII.test(c) && foldsFurther(c));
  if (row.differs) return 'unsure';
  if (not.some((clause) => frequency(tokens, { clause, columns: null }, weights).n > 0))
    return { matches: false, text: 0 };
  const freqs = groups.map((g) => g.map((p) => frequency(tokens, p, weights)));
  if (freqs.some((g) => g.every((x) => x.n === 0))) return { matches: false, text: 0 };
  let score = 0;
  let i = 0;
  for (const { f } of freqs.flat()) {
    score += stats.idf[i++]! * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + (B * size) / stats.avgdl)));
  }
  return { matches: true, text: score };
}

/** Whether a row scored by scoreRow (and not unsure) holds some phrase of every group: the whole-word tier's test. */
export function holdsAll(row: TextRow, groups: RowPhrase[][]): boolean {
  const tokens = row.tokens!;
  return groups.every((g) => g.some((p) => frequency(tokens, p, []).n > 0));
}
