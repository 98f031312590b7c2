import { SiftError } from '../errors.js';
import type { TextClause, TextQuery } from './types.js';

/**
 * The user's free text to the engine-neutral TextQuery. Tokens must be the ones SQLite FTS5's unicode61
 * tokenizer produces for the same text, or a prefix or phrase built from them would miss documents. The folding
 * here is unicode61's `remove_diacritics 1` (one diacritic); the index is built with `remove_diacritics 2`, which
 * also folds letters with several ("ệ" to "e"). FTS5 folds such a query token itself when it parses the MATCH
 * string, so the SQL path still finds them; code that compares tokens outside FTS5 declines them
 * (popular-first.ts). The rules below were checked against FTS5 itself, code point by code point; they differ
 * only for characters newer than SQLite's Unicode tables (see text-query.test.ts).
 */

export const DEFAULT_MAX_QUERY_LENGTH = 512;
export const DEFAULT_MAX_QUERY_TERMS = 32;

/** Letters, numbers and private-use characters, as FTS5; unassigned code points are token characters there too. */
const TOKEN_CHAR = /[\p{L}\p{N}\p{Co}\p{Cn}]/u;
/**
 * Combining marks FTS5 keeps inside a token and then drops (so "nai\u0308ve" is one token, "naive"); every
 * other mark separates tokens there, which is why marks are not simply stripped before tokenizing.
 */
const FTS5_DIACRITICS = new Set([
  0x300, 0x301, 0x302, 0x303, 0x304, 0x306, 0x307, 0x308, 0x309, 0x30a, 0x30b, 0x30c, 0x30f, 0x311, 0x31b,
  0x323, 0x324, 0x325, 0x326, 0x327, 0x328, 0x32d, 0x32e, 0x330, 0x331,
]);
/** FTS5 case-folds where lower-casing would leave a variant form: "ς" and "σ" must be the same token. */
const FOLD_VARIANTS: Record<string, string> = {
  '\u00b5': '\u03bc', // micro sign to mu
  '\u017f': 's', // long s
  '\u1e9b': 's', // long s with dot above
  '\u03c2': '\u03c3', // final sigma
  '\u03d0': '\u03b2', // beta symbol
  '\u03d1': '\u03b8', // theta symbol
  '\u03d5': '\u03c6', // phi symbol
  '\u03d6': '\u03c0', // pi symbol
  '\u03f0': '\u03ba', // kappa symbol
  '\u03f1': '\u03c1', // rho symbol
  '\u03f5': '\u03b5', // lunate epsilon
  '\u1fbe': '\u03b9', // prosgegrammeni
};
const ASCII_LETTER = /^[a-z]$/;
const WHITESPACE = /\s/u;

/**
 * One character as FTS5 indexes it: lower-cased, and a Latin letter with one diacritic becomes the bare
 * letter ("é" to "e"), while letters with two ("ệ") or non-Latin ones ("ά") keep theirs, as in FTS5.
 */
function fold(ch: string): string {
  const variant = FOLD_VARIANTS[ch];
  if (variant) return variant;
  let lower = ch.toLowerCase();
  // "İ" lower-cases to "i" plus a combining dot, which FTS5 would drop; other multi-character results it keeps.
  if ([...lower].length !== 1) lower = ch === '\u0130' ? 'i' : ch;
  const parts = [...lower.normalize('NFD')];
  return parts.length === 2 && ASCII_LETTER.test(parts[0]!) ? parts[0]! : lower;
}

// eslint-disable-next-line no-control-regex -- the whole ASCII range, control characters included
const ASCII_ONLY = /^[\u0000-\u007f]*$/;
const ASCII_SEPARATORS = /[^a-z0-9]+/;

/** Splits text into FTS5 unicode61 tokens. */
export function tokenize(text: string): string[] {
  // ASCII text (most of it): letters and digits are the token characters, lower-casing is the whole fold, and
  // there are no marks; one split does what the character loop below does, about ten times faster.
  if (ASCII_ONLY.test(text)) {
    const parts = text.toLowerCase().split(ASCII_SEPARATORS);
    if (parts[0] === '') parts.shift();
    if (parts.length && parts[parts.length - 1] === '') parts.pop();
    return parts;
  }
  const tokens: string[] = [];
  let current = '';
  for (const ch of text) {
    if (TOKEN_CHAR.test(ch)) current += fold(ch);
    else if (FTS5_DIACRITICS.has(ch.codePointAt(0)!)) continue;
    else if (current) {
      tokens.push(current);
      current = '';
    }
  }
  if (current) tokens.push(current);
  return tokens;
}

const ASCII_SEPARATOR_RUNS = /[^a-z0-9]+/g;

/**
 * `tokenize(text).join(' ')` without the array: for ASCII text one lower-casing and one replace, which is what a
 * document's hidden token fields need for every value written to a cluster.
 */
export function tokenText(text: string): string {
  if (!ASCII_ONLY.test(text)) return tokenize(text).join(' ');
  return text.toLowerCase().replace(ASCII_SEPARATOR_RUNS, ' ').trim();
}

interface Word {
  tokens: string[];
  negated: boolean;
  phrase: boolean;
  /** The word runs to the end of q: the user may still be typing it. */
  atEnd: boolean;
}

/** Splits q into whitespace-separated words and quoted phrases; an unterminated quote takes the rest of q. */
function words(q: string): Word[] {
  const out: Word[] = [];
  let i = 0;
  while (i < q.length) {
    if (WHITESPACE.test(q[i]!)) {
      i++;
      continue;
    }
    let negated = false;
    if (q[i] === '-' && i + 1 < q.length && !WHITESPACE.test(q[i + 1]!)) {
      negated = true;
      i++;
    }
    let end: number;
    let text: string;
    const phrase = q[i] === '"';
    if (phrase) {
      const close = q.indexOf('"', i + 1);
      end = close === -1 ? q.length : close + 1;
      text = q.slice(i + 1, close === -1 ? q.length : close);
    } else {
      end = i;
      while (end < q.length && !WHITESPACE.test(q[end]!)) end++;
      text = q.slice(i, end);
    }
    out.push({ tokens: tokenize(text), negated, phrase, atEnd: end === q.length });
    i = end;
  }
  return out;
}

/**
 * Parses free text: words are AND-ed, `"..."` is a phrase, a leading `-` excludes, and the last word also
 * matches as a prefix while it is being typed. Operators such as AND, OR, NOT and NEAR are plain words.
 * Returns null when q has no tokens (match all).
 */
export function parseTextQuery(
  q: string,
  opts: { maxLength?: number; maxTerms?: number } = {},
): TextQuery | null {
  const maxLength = opts.maxLength ?? DEFAULT_MAX_QUERY_LENGTH;
  const maxTerms = opts.maxTerms ?? DEFAULT_MAX_QUERY_TERMS;
  if (q.length > maxLength) {
    throw new SiftError(
      'INVALID_QUERY',
      `q is ${q.length} characters long; at most ${maxLength} are allowed`,
      {
        length: q.length,
        limit: maxLength,
      },
    );
  }
  for (let i = 0; i < q.length; i++) {
    const code = q.charCodeAt(i);
    // CR is let through with LF: text pasted from a form arrives with CRLF line ends.
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) {
      throw new SiftError('INVALID_QUERY', `q contains a control character at position ${i}`, {
        position: i,
      });
    }
  }
  const parsed = words(q).filter((w) => w.tokens.length > 0);
  const terms = parsed.reduce((n, w) => n + w.tokens.length, 0);
  if (terms === 0) return null;
  if (terms > maxTerms) {
    throw new SiftError('INVALID_QUERY', `q has ${terms} terms; at most ${maxTerms} are allowed`, {
      terms,
      limit: maxTerms,
    });
  }
  const must: TextClause[] = [];
  const mustNot: TextClause[] = [];
  for (const w of parsed) (w.negated ? mustNot : must).push({ tokens: w.tokens, prefix: false });
  const last = parsed[parsed.length - 1]!;
  // Only a word still being typed is a prefix: "react " or "react -foo" mean the whole word react.
  if (!last.negated && !last.phrase && last.atEnd) must[must.length - 1]!.prefix = true;
  return { must, mustNot, normalized: q.trim().replace(/\s+/g, ' ').toLowerCase() };
}
