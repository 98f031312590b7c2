/**
 * The Porter stemmer exactly as SQLite's FTS5 `porter` tokenizer applies it (fts5_tokenize.c), so that the
 * cluster engines, which get Sift's tokens stemmed here, hold and search the same stems as the embedded engine.
 *
 * FTS5 implements Martin Porter's algorithm with the revisions of his reference C version (`bli` -> `ble`,
 * `logi` -> `log` in step 2) and works on the token's UTF-8 bytes: every byte that is not an ASCII vowel is a
 * consonant, tokens shorter than 3 or longer than 64 bytes are left alone, and some checks differ slightly from
 * the published algorithm (a `y` counts as a vowel in `*v*` anywhere but first). Those quirks are kept on
 * purpose: agreeing with FTS5 matters more here than agreeing with the paper. The test beside this file compares
 * it with FTS5 itself.
 *
 * Published npm stemmers were not used: none ships in the project, and the well-kept ones (`stemmer`,
 * `wink-porter2-stemmer`) implement other revisions (Porter2, or the paper's rules) that stem some words
 * differently from FTS5.
 */

/** FTS5 leaves longer tokens (in UTF-8 bytes) unstemmed. */
const MAX_TOKEN_BYTES = 64;
const MIN_TOKEN_BYTES = 3;

type Condition = (stem: string) => boolean;
/** A suffix, its replacement and the condition on what precedes it. */
type Rule = readonly [suffix: string, replacement: string, condition: Condition];

const isVowel = (c: string, yIsVowel: boolean): boolean =>
  c === 'a' || c === 'e' || c === 'i' || c === 'o' || c === 'u' || (yIsVowel && c === 'y');

/**
 * Skips one vowel-run-then-consonant ([V]C) of `s` from `from`; returns the index just past it, or 0 when there is
 * none. `prevConsonant` says whether the character before `from` was a consonant (a `y` after one is a vowel).
 */
function gobbleVC(s: string, from: number, prevConsonant: boolean): number {
  let consonant = prevConsonant;
  let i = from;
  for (; i < s.length; i++) {
    consonant = !isVowel(s[i]!, consonant);
    if (!consonant) break;
  }
  for (i++; i < s.length; i++) {
    consonant = !isVowel(s[i]!, consonant);
    if (consonant) return i + 1;
  }
  return 0;
}

/** m > 0: the stem has at least one vowel-consonant sequence. */
const mGt0: Condition = (s) => gobbleVC(s, 0, false) !== 0;
/** m > 1. */
const mGt1: Condition = (s) => {
  const n = gobbleVC(s, 0, false);
  return n !== 0 && gobbleVC(s, n, true) !== 0;
};
/** m = 1. */
const mEq1: Condition = (s) => {
  const n = gobbleVC(s, 0, false);
  return n !== 0 && gobbleVC(s, n, true) === 0;
};
/** *o: the stem ends consonant-vowel-consonant, the last not w, x or y. */
const oStar: Condition = (s) => {
  const last = s[s.length - 1];
  if (last === 'w' || last === 'x' || last === 'y') return false;
  let mask = 0;
  let consonant = false;
  for (const c of s) {
    consonant = !isVowel(c, consonant);
    mask = ((mask << 1) | (consonant ? 1 : 0)) & 0x7;
  }
  return mask === 0b101;
};
/** *v*: the stem holds a vowel (FTS5 takes a `y` for one anywhere but first). */
const hasVowel: Condition = (s) => {
  for (let i = 0; i < s.length; i++) if (isVowel(s[i]!, i > 0)) return true;
  return false;
};
const mGt1AndSOrT: Condition = (s) => (s.endsWith('s') || s.endsWith('t')) && mGt1(s);

// The rules of steps 2-4 in FTS5's order. FTS5 tries the suffixes that share the word's next-to-last letter in
// this order and stops at the first that matches, whether or not its condition holds: so does `applyFirst`.
const STEP2: readonly Rule[] = [
  ['ational', 'ate', mGt0],
  ['tional', 'tion', mGt0],
  ['enci', 'ence', mGt0],
  ['anci', 'ance', mGt0],
  ['izer', 'ize', mGt0],
  ['logi', 'log', mGt0],
  ['bli', 'ble', mGt0],
  ['alli', 'al', mGt0],
  ['entli', 'ent', mGt0],
  ['eli', 'e', mGt0],
  ['ousli', 'ous', mGt0],
  ['ization', 'ize', mGt0],
  ['ation', 'ate', mGt0],
  ['ator', 'ate', mGt0],
  ['alism', 'al', mGt0],
  ['iveness', 'ive', mGt0],
  ['fulness', 'ful', mGt0],
  ['ousness', 'ous', mGt0],
  ['aliti', 'al', mGt0],
  ['iviti', 'ive', mGt0],
  ['biliti', 'ble', mGt0],
];
const STEP3: readonly Rule[] = [
  ['ical', 'ic', mGt0],
  ['ness', '', mGt0],
  ['icate', 'ic', mGt0],
  ['iciti', 'ic', mGt0],
  ['ful', '', mGt0],
  ['ative', '', mGt0],
  ['alize', 'al', mGt0],
];
const STEP4: readonly Rule[] = [
  ['al', '', mGt1],
  ['ance', '', mGt1],
  ['ence', '', mGt1],
  ['er', '', mGt1],
  ['ic', '', mGt1],
  ['able', '', mGt1],
  ['ible', '', mGt1],
  ['ant', '', mGt1],
  ['ement', '', mGt1],
  ['ment', '', mGt1],
  ['ent', '', mGt1],
  ['ion', '', mGt1AndSOrT],
  ['ou', '', mGt1],
  ['ism', '', mGt1],
  ['ate', '', mGt1],
  ['iti', '', mGt1],
  ['ous', '', mGt1],
  ['ive', '', mGt1],
  ['ize', '', mGt1],
];

/** The first rule whose suffix ends `s` (with something before it) is applied if its condition holds. */
function applyFirst(s: string, rules: readonly Rule[]): string {
  for (const [suffix, replacement, condition] of rules) {
    if (s.length <= suffix.length || !s.endsWith(suffix)) continue;
    const stem = s.slice(0, -suffix.length);
    return condition(stem) ? stem + replacement : s;
  }
  return s;
}

function step1a(s: string): string {
  if (!s.endsWith('s')) return s;
  const n = s.length;
  if (s[n - 2] === 'e') {
    // sses -> ss, ies -> i (FTS5 wants something before them), other -es -> -e.
    if ((n > 4 && s[n - 4] === 's' && s[n - 3] === 's') || (n > 3 && s[n - 3] === 'i')) return s.slice(0, -2);
    return s.slice(0, -1);
  }
  return s[n - 2] === 's' ? s : s.slice(0, -1);
}

/** Step 1b: -eed, -ed, -ing; after removing -ed or -ing, the stem is tidied (at -> ate, hopp -> hop, hop -> hope). */
function step1b(s: string): string {
  let stem: string;
  if (s.length > 3 && s.endsWith('eed')) return mGt0(s.slice(0, -3)) ? s.slice(0, -1) : s;
  if (s.length > 2 && s.endsWith('ed')) stem = s.slice(0, -2);
  else if (s.length > 3 && s.endsWith('ing')) stem = s.slice(0, -3);
  else return s;
  if (!hasVowel(stem)) return s;
  const n = stem.length;
  if (n > 2 && (stem.endsWith('at') || stem.endsWith('bl') || stem.endsWith('iz'))) return `${stem}e`;
  const c = stem[n - 1]!;
  if (!isVowel(c, false) && c !== 'l' && c !== 's' && c !== 'z' && c === stem[n - 2])
    return stem.slice(0, -1);
  if (mEq1(stem) && oStar(stem)) return `${stem}e`;
  return stem;
}

function stemBytes(word: string): string {
  let s = step1b(step1a(word));
  // Step 1c: a final y after a vowel-bearing stem becomes i.
  if (s.endsWith('y') && hasVowel(s.slice(0, -1))) s = `${s.slice(0, -1)}i`;
  s = applyFirst(applyFirst(applyFirst(s, STEP2), STEP3), STEP4);
  // Step 5a: a final e goes when m > 1, or m = 1 and not *o.
  if (s.endsWith('e')) {
    const stem = s.slice(0, -1);
    if (mGt1(stem) || (mEq1(stem) && !oStar(stem))) s = stem;
  }
  // Step 5b: -ll -> -l when m > 1.
  if (s.length > 1 && s.endsWith('ll') && mGt1(s.slice(0, -1))) s = s.slice(0, -1);
  return s;
}

/**
 * The Porter stem of one token of Sift's tokenizer (lower-cased, letters and digits), as FTS5's porter tokenizer
 * computes it.
 */
export function porterStem(token: string): string {
  // FTS5 works on UTF-8 bytes: one latin1 character per byte reproduces its lengths and its consonants. Every
  // suffix it removes or adds is ASCII, so the bytes left are always whole characters.
  // eslint-disable-next-line no-control-regex -- the whole ASCII range
  const ascii = /^[\x00-\x7f]*$/.test(token);
  const bytes = ascii ? token : Buffer.from(token, 'utf8').toString('latin1');
  if (bytes.length < MIN_TOKEN_BYTES || bytes.length > MAX_TOKEN_BYTES) return token;
  const stemmed = stemBytes(bytes);
  return ascii ? stemmed : Buffer.from(stemmed, 'latin1').toString('utf8');
}
