import { settingsOf, stopWordSet } from '../schema/settings.js';
import type { IndexSchema, SynonymRule } from '../schema/types.js';
import { tokenize } from './text-query.js';
import type { TextClause, TextQuery } from './types.js';

/**
 * The index's relevance settings applied to a parsed query, the same way for every engine: stop words leave the
 * query, and each word gets the number of typos it may carry. Engines then only widen the words they are told to.
 */

/**
 * Added to the score of a hit that matches the query as typed when typo corrections also matched: every exact
 * hit ranks above every corrected one. Larger than BM25, the exact-name boost and popularity together can be.
 */
export const EXACT_TIER = 1_000_000;

/**
 * A document named by a correction of a one-word query ("fkaer" -> faker) earns this share of the exact-name
 * boost: enough to rank it first among corrected hits, less than the name as typed.
 */
export const CORRECTED_NAME_SHARE = 0.5;

/** Scripts written without spaces between words (or, in Korean, with particles attached to them). */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Whether a word holds CJK characters, and so may be part of a longer token of the index. */
export const isCjk = (token: string): boolean => CJK.test(token);

/** A one-word clause of CJK text: looked for inside the index's tokens too. */
const inCjkText = (c: TextClause) => c.tokens.length === 1 && !c.synonyms && isCjk(c.tokens[0]!);

/** Typos a word may carry: none in words with digits (versions, ids, codes), else by length. */
export function typosFor(token: string, sizes: { one_typo: number; two_typos: number }): number {
  if (/\p{N}/u.test(token)) return 0;
  const length = [...token].length;
  return length >= sizes.two_typos ? 2 : length >= sizes.one_typo ? 1 : 0;
}

/**
 * Drops stop words from the words the query must match, unless nothing would be left (a query of stop words
 * only, "the who", still searches for them); phrases and exclusions keep them. Then sets each one-word clause's
 * typo budget, or none when the index or the request turns typos off.
 */
export function applyRelevance(
  text: TextQuery | null,
  schema: IndexSchema,
  opts: { typos: boolean },
): TextQuery | null {
  if (!text) return text;
  const stop = stopWordSet(schema);
  const isStop = (tokens: string[]) => tokens.length === 1 && stop.has(tokens[0]!);
  let must = text.must;
  let normalized = text.normalized;
  if (stop.size && must.some((c) => isStop(c.tokens)) && !must.every((c) => isStop(c.tokens))) {
    must = must.filter((c) => !isStop(c.tokens));
    normalized = normalized
      .split(' ')
      .filter((w) => !stop.has(w))
      .join(' ');
  }
  must = withSynonyms(must, schema.synonyms ?? []);
  const typo = settingsOf(schema).typo_tolerance;
  const allowTypos = opts.typos && typo.enabled;
  return {
    ...text,
    normalized,
    mustNot: text.mustNot.map((c) => (inCjkText(c) ? { ...c, infix: true } : c)),
    must: must.map((c) => {
      // A CJK word is looked for inside the index's tokens, as typed: edits of a word of two or three
      // ideographs would make another word.
      if (inCjkText(c)) return { ...c, infix: true };
      // A word with synonyms is matched by them, not corrected.
      const typos =
        allowTypos && c.tokens.length === 1 && !c.synonyms ? typosFor(c.tokens[0]!, typo.min_word_size) : 0;
      return typos ? { ...c, typos } : c;
    }),
  };
}

/**
 * Edits a "did you mean" correction may make: more than typo tolerance allows, since it is only offered; none
 * for words with digits.
 */
export function suggestionEdits(word: string): number {
  if (/\p{N}/u.test(word)) return 0;
  const length = [...word].length;
  return length >= 7 ? 2 : length >= 3 ? 1 : 0;
}

const wordPattern = (word: string) =>
  new RegExp(`(?<![\\p{L}\\p{N}])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'gu');

/**
 * The query with some words replaced (word -> correction), as a query to search and as the text to offer, or
 * null when nothing is replaced. Corrected words are whole words, no longer prefixes.
 */
export function correctText(
  text: TextQuery,
  fixes: Map<string, string>,
): { text: TextQuery; q: string } | null {
  if (!fixes.size) return null;
  let q = text.normalized;
  for (const [word, fix] of fixes) q = q.replace(wordPattern(word), fix);
  const must = text.must.map((c) => {
    const fix = c.tokens.length === 1 ? fixes.get(c.tokens[0]!) : undefined;
    return fix ? { tokens: [fix], prefix: false } : c;
  });
  return { text: { ...text, must, normalized: q }, q };
}

/** Synonym rules as lookups: the tokens of an entry (joined by spaces) -> the token sequences that also match. */
function synonymTable(rules: SynonymRule[]): Map<string, string[][]> {
  const table = new Map<string, string[][]>();
  const add = (from: string, to: string[]) => {
    const key = tokenize(from).join(' ');
    const alts = to.map((t) => tokenize(t)).filter((t) => t.length && t.join(' ') !== key);
    if (!key || !alts.length) return;
    const have = table.get(key) ?? [];
    for (const a of alts) if (!have.some((h) => h.join(' ') === a.join(' '))) have.push(a);
    table.set(key, have);
  };
  for (const rule of rules) {
    if ('words' in rule) for (const w of rule.words) add(w, rule.words);
    else add(rule.from, rule.to);
  }
  return table;
}

/**
 * Gives the words of the query that a synonym rule names their alternatives: the longest run of consecutive
 * bare words that is an entry becomes one clause, matched as that phrase or any synonym. A phrase
 * the user quoted is matched only as written.
 */
function withSynonyms(must: TextClause[], rules: SynonymRule[]): TextClause[] {
  if (!rules.length) return must;
  const table = synonymTable(rules);
  let longest = 0;
  for (const key of table.keys()) longest = Math.max(longest, key.split(' ').length);
  const out: TextClause[] = [];
  for (let i = 0; i < must.length;) {
    let matched = 0;
    for (let n = Math.min(longest, must.length - i); n >= 1 && !matched; n--) {
      const run = must.slice(i, i + n);
      if (run.some((c) => c.tokens.length !== 1)) continue;
      const key = run.map((c) => c.tokens[0]).join(' ');
      const alts = table.get(key);
      if (!alts) continue;
      out.push({ tokens: run.map((c) => c.tokens[0]!), prefix: false, synonyms: alts });
      matched = n;
    }
    if (!matched) out.push(must[i]!);
    i += matched || 1;
  }
  return out;
}
