import type Database from 'better-sqlite3';
import type { TextClause, TextQuery } from '../../query/types.js';
import { correctText, suggestionEdits } from '../../query/relevance.js';
import type { IndexSchema } from '../../schema/types.js';
import { searchedFields } from '../../query/search-fields.js';
import { porterStem } from '../../query/porter-stemmer.js';
import { column, ftsTable, wordsAsTokenized } from './ddl.js';
import { clausePhrases, clauseToFts, matchExpression, type Phrase } from './match.js';

/**
 * Typo tolerance for the embedded engine. Each query word allowed typos (see src/query/relevance.ts) becomes an
 * OR of itself and the index's own words within that many edits, so a misspelt word matches what it was meant
 * to be and an exact word still matches exactly. The vocabulary comes from the FTS5 index itself (fts5vocab)
 * and is searched in memory: a sorted array walked as a trie, pruned by the edit-distance table, finds every
 * word within two edits of a query word in well under a millisecond at 100k words. Seeking fts5vocab directly
 * was measured first and costs about 0.1 ms per seek (it counts each term's documents), far too slow for a walk
 * that seeks hundreds of times.
 */

/** Corrections kept per word: the closest, then the most frequent. More only dilutes the ranking. */
const MAX_CORRECTIONS = 8;
/**
 * After a write the vocabulary is read again, but no more often than this: a reload reads the whole text
 * index's term list (0.4 s at 227k documents), so words new since the last reload are corrected to only after
 * it. Existing words are unaffected, and a removed word only adds a candidate that matches nothing.
 */
const RELOAD_AFTER_MS = 30_000;

/** Vocabularies kept per reader thread (one per physical index version searched with typos). */
const MAX_VOCABULARIES = 16;

interface Vocabulary {
  terms: string[];
  docs: Int32Array;
  dataVersion: number;
  /** The database schema it was read under: a text index dropped and created again (same tid) is another. */
  schemaVersion?: number;
  loadedAt: number;
}

/** Per reader thread: the vocabulary of each physical index version it has corrected words for. */
const vocabularies = new Map<number, Vocabulary>();

function loadVocabulary(
  db: Database.Database,
  tid: number,
  dataVersion: number,
  schemaVersion: number,
): Vocabulary {
  const name = `temp.sift_vocab_${tid}`;
  db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${name} USING fts5vocab(main, '${ftsTable(tid)}', 'row')`);
  const rows = db.prepare(`SELECT term, doc FROM ${name}`).raw().all() as [string, number][];
  // JavaScript string order, which the walk's binary searches use (fts5vocab orders by UTF-8 bytes).
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    terms: rows.map((r) => r[0]),
    docs: Int32Array.from(rows, (r) => r[1]),
    dataVersion,
    schemaVersion,
    loadedAt: Date.now(),
  };
}

/**
 * The vocabulary of a version, reloaded when the database changed and the copy is old enough, and at once when
 * tables were created or dropped since: a dropped index's number is given to the next one created, and a new
 * analyzer recreates the text index, so the copy may be of another table.
 */
export function vocabulary(db: Database.Database, tid: number): Vocabulary {
  const dataVersion = db.pragma('data_version', { simple: true }) as number;
  const schemaVersion = db.pragma('schema_version', { simple: true }) as number;
  const have = vocabularies.get(tid);
  if (
    have &&
    have.schemaVersion === schemaVersion &&
    (have.dataVersion === dataVersion || Date.now() - have.loadedAt < RELOAD_AFTER_MS)
  )
    return have;
  const fresh = loadVocabulary(db, tid, dataVersion, schemaVersion);
  vocabularies.delete(tid);
  vocabularies.set(tid, fresh);
  // Versions replaced by a reindex, and indexes searched long ago, leave: the oldest read goes first.
  if (vocabularies.size > MAX_VOCABULARIES) vocabularies.delete(vocabularies.keys().next().value!);
  return fresh;
}

/** First index in [lo, hi) whose term is >= key. */
function lowerBound(terms: string[], key: string, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (terms[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface Correction {
  term: string;
  distance: number;
  docs: number;
}

/**
 * Every vocabulary word within `maxEdits` of `word` (insertions, deletions, substitutions and transpositions of
 * neighbours, the distance Elasticsearch's fuzzy queries use), the first character excepted: like the cluster
 * engines' prefix_length 1, it must be right. The sorted terms are walked as a trie; a branch is left as soon as
 * every cell of its edit-distance row exceeds the budget.
 */
export function corrections(vocab: Vocabulary, word: string, maxEdits: number): Correction[] {
  const { terms, docs } = vocab;
  const n = word.length;
  if (n === 0) return [];
  const q = Int32Array.from({ length: n }, (_, i) => word.charCodeAt(i));
  const out: Correction[] = [];
  // rows[d][j]: edits between the walked prefix of length d and the word's first j characters.
  const rows: Int32Array[] = [Int32Array.from({ length: n + 1 }, (_, j) => j)];
  const path: number[] = [];

  const step = (d: number, ch: number): number => {
    const prev = rows[d]!;
    const row = (rows[d + 1] ??= new Int32Array(n + 1));
    row[0] = d + 1;
    let best = row[0];
    for (let j = 1; j <= n; j++) {
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (q[j - 1] === ch ? 0 : 1));
      if (d >= 1 && j >= 2 && ch === q[j - 2] && path[d - 1] === q[j - 1])
        v = Math.min(v, rows[d - 1]![j - 2]! + 1);
      row[j] = v;
      if (v < best) best = v;
    }
    return best;
  };

  // terms[lo..hi) all start with the walked prefix of length d; only terms[lo] can be that prefix itself.
  const walk = (d: number, lo: number, hi: number): void => {
    let i = lo;
    if (terms[i]!.length === d) {
      const dist = rows[d]![n]!;
      if (dist <= maxEdits) out.push({ term: terms[i]!, distance: dist, docs: docs[i]! });
      i++;
    }
    while (i < hi) {
      // The run of terms with the same next character: sorted, so found by a binary search on that character.
      const ch = terms[i]!.charCodeAt(d);
      let a = i + 1;
      let b = hi;
      while (a < b) {
        const m = (a + b) >>> 1;
        if (terms[m]!.charCodeAt(d) <= ch) a = m + 1;
        else b = m;
      }
      path[d] = ch;
      if (step(d, ch) <= maxEdits) walk(d + 1, i, a);
      i = a;
    }
  };

  // The first character is kept: only its run is walked.
  const first = word[0]!;
  const lo = lowerBound(terms, first, 0, terms.length);
  const hi = lowerBound(terms, String.fromCharCode(q[0]! + 1), lo, terms.length);
  if (lo < hi) {
    path[0] = q[0]!;
    if (step(0, q[0]!) <= maxEdits) walk(1, lo, hi);
  }
  return out;
}

/**
 * A correction held by fewer than 1/50 of the documents of the most common one is dropped: BM25 would rank the
 * rare word's few documents first (its idf is high), while the common word is what was meant ("lodsh" is
 * lodash, not the typo-squatting loadsh). Elasticsearch's fuzzy rewrite blends the frequencies to the same end.
 */
const RARE_CORRECTION_RATIO = 50;

/** The best corrections of a word, exact spelling excluded: closest first, then the most documents. */
export function bestCorrections(vocab: Vocabulary, word: string, maxEdits: number, limit = MAX_CORRECTIONS) {
  const found = corrections(vocab, word, maxEdits).filter((c) => c.distance > 0);
  const most = found.reduce((m, c) => Math.max(m, c.docs), 0);
  return found
    .filter((c) => c.docs * RARE_CORRECTION_RATIO >= most)
    .sort((a, b) => a.distance - b.distance || b.docs - a.docs || (a.term < b.term ? -1 : 1))
    .slice(0, limit);
}

/** Whether the vocabulary holds this word, or for a prefix, any word starting with it. */
export function known(vocab: Vocabulary, word: string, prefix: boolean): boolean {
  const i = lowerBound(vocab.terms, word, 0, vocab.terms.length);
  const t = vocab.terms[i];
  return t !== undefined && (prefix ? t.startsWith(word) : t === word);
}

/** Words a CJK word is looked for inside, at most: the ones held by the most documents. */
const MAX_CONTAINING = 64;
// eslint-disable-next-line no-control-regex -- the whole ASCII range
const ASCII_ONLY = /^[\u0000-\u007f]*$/;
/** Per vocabulary, its words with characters beyond ASCII: the only ones a CJK word can be inside. */
const wideTerms = new WeakMap<Vocabulary, number[]>();

/** The vocabulary's longer words that hold `word` (a CJK word inside a run of CJK text), most documents first. */
export function containing(vocab: Vocabulary, word: string): string[] {
  let wide = wideTerms.get(vocab);
  if (!wide) {
    wide = [];
    for (let i = 0; i < vocab.terms.length; i++) if (!ASCII_ONLY.test(vocab.terms[i]!)) wide.push(i);
    wideTerms.set(vocab, wide);
  }
  return wide
    .filter((i) => vocab.terms[i] !== word && vocab.terms[i]!.includes(word))
    .sort((a, b) => vocab.docs[b]! - vocab.docs[a]!)
    .slice(0, MAX_CONTAINING)
    .map((i) => vocab.terms[i]!);
}

/** A CJK clause as itself or any longer word of the index that holds it. */
function withContaining(vocab: Vocabulary, c: TextClause): string {
  const within = c.infix ? containing(vocab, c.tokens[0]!) : [];
  return within.length ? `(${clauseToFts(c)} OR ${within.map(quote).join(' OR ')})` : clauseToFts(c);
}

const quote = (token: string) => `"${token.replace(/"/g, '""')}"`;

export interface TypoMatch {
  match: string | null;
  exclude: string | null;
  /**
   * The query as typed, every word whole (the word being typed too), when corrections were added and it can
   * still match: hits that match it rank above the rest. A word that only begins another ("reakt" in reaktor)
   * is no such match; it competes on score with the corrections, so a corrected name can come first.
   */
  exact: string | null;
  /** For a query of one word, its corrections: a document named by one of them gets the exact-name boost. */
  names: string[];
  /**
   * `match` as the phrases FTS5 scores, one OR-group per query word (the word, its synonyms, its corrections),
   * the groups AND-ed; null when it is built in a way not written this way (words looked for inside CJK text,
   * or the request's choice of fields around it).
   */
  groups: Phrase[][] | null;
}

const expanded = new WeakMap<TextQuery, TypoMatch>();

/** The query's MATCH expression with no word taken as a prefix. */
const wholeWords = (text: TextQuery): string | null =>
  matchExpression({ ...text, must: text.must.map((c) => ({ ...c, prefix: false })) }).match;

/**
 * The MATCH expressions of a text query, each word allowed typos widened to its corrections, and all of it
 * limited to the fields the request searches when it chose them.
 */
export function typoMatch(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  text: TextQuery,
): TypoMatch {
  const done = expanded.get(text);
  if (done) return done;
  const plain = matchExpression(text);
  const result: TypoMatch = { ...plain, exact: null, names: [], groups: text.must.map(clausePhrases) };
  const searched = searchedFields(schema, text.fields).map((f) => f.field);
  // A stemming index's vocabulary holds stems: a word is looked up and corrected as its stem, as on the clusters
  // ("runnning" -> "runn", one edit from "run").
  const stemmed = wordsAsTokenized(schema) ? (t: string) => t : porterStem;
  if (text.must.some((c) => (c.typos ?? 0) > 0 || c.infix)) {
    const off = new Set(schema.typo_tolerance?.disable_on_fields ?? []);
    const on = searched.filter((f) => !off.has(f));
    const colset = on.length < searched.length ? columnFilter(schema, on) : '';
    const vocab = vocabulary(db, tid);
    let widened = false;
    let exactCanMatch = true;
    const groups: Phrase[][] = [];
    const parts = text.must.map((c: TextClause) => {
      groups.push(clausePhrases(c));
      const token = stemmed(c.tokens[0]!);
      if (c.tokens.length === 1 && !c.synonyms && !known(vocab, token, false)) exactCanMatch = false;
      if (c.infix) {
        const own = withContaining(vocab, c);
        if (own !== clauseToFts(c)) widened = true;
        return own;
      }
      if (!c.typos || c.tokens.length !== 1 || !on.length) return clauseToFts(c);
      // A stem FTS5 would stem again into another word would match that word instead: such a one is left out.
      const fixes = bestCorrections(vocab, token, c.typos).filter((f) => stemmed(f.term) === f.term);
      if (!fixes.length) return clauseToFts(c);
      widened = true;
      if (text.must.length === 1) result.names = fixes.map((f) => f.term);
      const columns = colset ? on.map((f) => column(schema, f)) : null;
      for (const f of fixes) {
        const clause = { tokens: [f.term], prefix: false };
        groups.at(-1)!.push({ fts: colset + quote(f.term), clause, columns });
      }
      return `(${clauseToFts(c)} OR ${colset}(${fixes.map((f) => quote(f.term)).join(' OR ')}))`;
    });
    if (widened) {
      result.match = parts.join(' AND ');
      result.groups = text.must.some((c) => c.infix) ? null : groups;
      if (exactCanMatch) result.exact = wholeWords(text);
    }
  }
  if (text.mustNot.some((c) => c.infix)) {
    const vocab = vocabulary(db, tid);
    result.exclude = text.mustNot.map((c) => withContaining(vocab, c)).join(' OR ');
    result.groups = null;
  }
  if (text.fields) {
    // Every part of the query, exclusions too, looks only at the chosen fields.
    const only = columnFilter(schema, searched);
    const limit = (expr: string | null) => (expr === null ? null : `${only}(${expr})`);
    result.match = limit(result.match);
    result.exclude = limit(result.exclude);
    result.exact = limit(result.exact);
    result.groups = null;
  }
  expanded.set(text, result);
  return result;
}

/** An FTS5 column filter: what follows it matches only in these fields. */
const columnFilter = (schema: IndexSchema, fields: string[]) =>
  `{${fields.map((f) => column(schema, f)).join(' ')}} : `;

/**
 * A corrected query for one that found nothing: each word the index does not hold (as a whole word, or as a
 * prefix for the word being typed) replaced by its best correction, or null when there is none. The caller
 * checks that the corrected query finds something before offering it.
 */
export function correctedQuery(
  db: Database.Database,
  tid: number,
  text: TextQuery,
): { text: TextQuery; q: string } | null {
  const vocab = vocabulary(db, tid);
  const fixes = new Map<string, string>();
  for (const c of text.must) {
    const word = c.tokens[0]!;
    if (c.tokens.length !== 1 || known(vocab, word, c.prefix)) continue;
    const best = bestCorrections(vocab, word, suggestionEdits(word), 1)[0];
    if (best) fixes.set(word, best.term);
  }
  return correctText(text, fixes);
}
