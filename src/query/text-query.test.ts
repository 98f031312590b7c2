import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_QUERY_LENGTH, DEFAULT_MAX_QUERY_TERMS, parseTextQuery, tokenize } from './text-query.js';
import type { TextClause, TextQuery } from './types.js';
import { errorOf } from '../../test/support/errors.js';

const word = (...tokens: string[]): TextClause => ({ tokens, prefix: false });
const typing = (...tokens: string[]): TextClause => ({ tokens, prefix: true });
const parse = (q: string, opts?: { maxLength?: number; maxTerms?: number }) => parseTextQuery(q, opts);
const must = (q: string) => parse(q)?.must;

describe('tokenize', () => {
  it.each<[string, string[]]>([
    ['@types/node', ['types', 'node']],
    ['react-dom', ['react', 'dom']],
    ['lodash.merge', ['lodash', 'merge']],
    ['c++', ['c']],
    ['snake_case', ['snake', 'case']],
    ['React DOM', ['react', 'dom']],
    ['v8.1.2', ['v8', '1', '2']],
    ['Café CRÈME Ñandú', ['cafe', 'creme', 'nandu']],
    ['nai\u0308ve', ['naive']],
    ['\u0301abc', ['abc']],
    ['İstanbul', ['istanbul']],
    ['Straße', ['straße']],
    ['ΟΔΟΣ οδός', ['οδοσ', 'οδόσ']],
    ['Việt', ['việt']],
    ['ǖ', ['ǖ']],
    ['Ørsted Łódź', ['ørsted', 'łodz']],
    ['日本語 テキスト', ['日本語', 'テキスト']],
    ['हिन्दी', ['ह', 'न', 'द']],
    ['emoji😀x', ['emoji', 'x']],
    ['ﬁle', ['ﬁle']],
    ['x²', ['x²']],
    ['a\u200bb', ['a', 'b']],
    ['', []],
    ['+++ --- ...', []],
  ])('%j', (text, tokens) => {
    expect(tokenize(text)).toEqual(tokens);
  });
});

describe('tokenize agrees with SQLite FTS5 unicode61', () => {
  let db: Database.Database;
  beforeAll(() => {
    db = new Database(':memory:');
    db.exec("CREATE VIRTUAL TABLE t USING fts5(x); CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');");
  });
  afterAll(() => db.close());

  /** FTS5's tokens for each text, in order, read back from its vocabulary. */
  function fts5(texts: string[]): string[][] {
    db.exec('DELETE FROM t');
    const insert = db.prepare('INSERT INTO t(rowid, x) VALUES (?, ?)');
    db.transaction(() => texts.forEach((text, i) => insert.run(i + 1, text)))();
    const out = texts.map((): string[] => []);
    const rows = db.prepare('SELECT doc, term FROM v ORDER BY doc, "offset"').all() as {
      doc: number;
      term: string;
    }[];
    for (const r of rows) out[r.doc - 1]!.push(r.term);
    return out;
  }

  it('on sample text', () => {
    const texts = [
      '@types/node react-dom lodash.merge c++ snake_case',
      'Café CRÈME Ñandú naïve nai\u0308ve \u0301abc e\u0323\u0302x',
      'İstanbul ı Straße ẞ ΟΔΟΣ οδός ς µ ſ ϐ',
      'Việt ǖ ṏ ǿ ḉ ά Ελληνικά Ø Æ Œ Ł đ ħ',
      '日本語テキスト 中文 한국어 العربية עברית हिन्दी ไทย',
      'ﬁle Ａbc ① ² x³ Ⅻ ㎞ emoji😀x a\uE000b a\u200bb a\u00adb',
      'AND OR NOT NEAR * ^ : ( ) " \' - + {col}',
    ];
    expect(texts.map(tokenize)).toEqual(fts5(texts));
  });

  it('on ASCII text (its own fast path), control characters, edges and runs of separators included', () => {
    const ascii = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('');
    const texts = [
      ascii,
      `${ascii}Tail`,
      '  --Lead and trail--  ',
      '',
      '---',
      'MiXeD_case9 x86-64 v1.2.3 @scope/pkg',
      'a\tb\nc\u0000d\u007fe',
    ];
    expect(texts.map(tokenize)).toEqual(fts5(texts));
  });

  it('on every character of the Latin, Greek, Cyrillic and common scripts', () => {
    const blocks: [number, number][] = [
      [0x20, 0x36f], // ASCII, Latin-1, Latin Extended A/B, IPA, combining diacritics
      [0x370, 0x52f], // Greek, Cyrillic
      [0x590, 0x6ff], // Hebrew, Arabic
      [0x900, 0x97f], // Devanagari
      [0xe00, 0xe7f], // Thai
      [0x1e00, 0x1fff], // Latin Extended Additional, Greek Extended
      [0x2000, 0x206f], // General punctuation
      [0x3040, 0x30ff], // Hiragana, Katakana
      [0xff00, 0xffef], // Halfwidth and fullwidth forms
    ];
    // Assigned after the Unicode version of SQLite's tables: FTS5 sees them as unassigned, Node does not.
    const newer = new Set([
      0x37f, 0x528, 0x529, 0x52a, 0x52b, 0x52c, 0x52d, 0x52e, 0x52f, 0x58d, 0x58e, 0x605, 0x61c, 0x61d,
      0x2066, 0x2067, 0x2068, 0x2069,
    ]);
    const chars: string[] = [];
    for (const [from, to] of blocks) {
      for (let cp = from; cp <= to; cp++) if (!newer.has(cp)) chars.push(String.fromCodePoint(cp));
    }
    // Between two letters, so a separator, a dropped diacritic and a token character all look different.
    const texts = chars.map((c) => `q${c}q`);
    const expected = fts5(texts);
    const mismatches = texts.filter((t, i) => JSON.stringify(tokenize(t)) !== JSON.stringify(expected[i]));
    expect(mismatches.map((t) => `U+${t.codePointAt(1)!.toString(16)}`)).toEqual([]);
  });
});

describe('parseTextQuery', () => {
  it('returns null when there are no tokens', () => {
    for (const q of ['', '   ', '\t\n', '+++', '- -- --- ""', '"', '-""', '- "+"', '...'])
      expect(parse(q)).toBeNull();
  });

  it('parses the package-name examples', () => {
    expect(parse('@types/node')).toEqual({
      must: [typing('types', 'node')],
      mustNot: [],
      normalized: '@types/node',
    });
    expect(must('react-dom')).toEqual([typing('react', 'dom')]);
    expect(must('lodash.merge')).toEqual([typing('lodash', 'merge')]);
    expect(must('c++')).toEqual([typing('c')]);
  });

  it('makes every word a clause, and only a word still being typed a prefix', () => {
    expect(must('react hooks')).toEqual([word('react'), typing('hooks')]);
    expect(must('react hooks ')).toEqual([word('react'), word('hooks')]);
    expect(must('react hooks\n')).toEqual([word('react'), word('hooks')]);
    expect(must('react +++')).toEqual([word('react')]);
    expect(must('react-')).toEqual([typing('react')]);
  });

  it('reads quoted phrases', () => {
    expect(must('"state management" redux')).toEqual([word('state', 'management'), typing('redux')]);
    expect(must('redux "state management"')).toEqual([word('redux'), word('state', 'management')]);
    expect(must('"a-b c.d"')).toEqual([word('a', 'b', 'c', 'd')]);
    expect(must('"one"')).toEqual([word('one')]);
    expect(must('"foo bar"baz')).toEqual([word('foo', 'bar'), typing('baz')]);
    expect(must('x "" y')).toEqual([word('x'), typing('y')]);
  });

  it('reads an unterminated quote as a phrase to the end', () => {
    expect(must('react "state manag')).toEqual([word('react'), word('state', 'manag')]);
    expect(must('"')).toBeUndefined();
  });

  it('treats a quote inside a word as punctuation', () => {
    expect(must('foo"bar baz"')).toEqual([word('foo', 'bar'), typing('baz')]);
  });

  it('excludes words and phrases with a leading -', () => {
    expect(parse('react -jquery')).toEqual({
      must: [word('react')],
      mustNot: [word('jquery')],
      normalized: 'react -jquery',
    });
    expect(parse('-jquery react')).toEqual({
      must: [typing('react')],
      mustNot: [word('jquery')],
      normalized: '-jquery react',
    });
    expect(parse('ui -"old api" x')?.mustNot).toEqual([word('old', 'api')]);
    expect(parse('ui -react-dom')?.mustNot).toEqual([word('react', 'dom')]);
    expect(parse('ui --x')?.mustNot).toEqual([word('x')]);
    // A dash that does not start a word, or stands alone, is punctuation.
    expect(parse('a-b - c')).toEqual({
      must: [word('a', 'b'), typing('c')],
      mustNot: [],
      normalized: 'a-b - c',
    });
    expect(parse('foo -')).toEqual({ must: [word('foo')], mustNot: [], normalized: 'foo -' });
  });

  it('returns must: [] when every clause is an exclusion', () => {
    expect(parse('-foo -"bar baz"')).toEqual({
      must: [],
      mustNot: [word('foo'), word('bar', 'baz')],
      normalized: '-foo -"bar baz"',
    });
  });

  it('treats AND, OR, NOT and NEAR as words', () => {
    expect(must('cats AND NOT dogs OR NEAR(x)')).toEqual([
      word('cats'),
      word('and'),
      word('not'),
      word('dogs'),
      word('or'),
      typing('near', 'x'),
    ]);
    expect(must('title:foo bar* ^baz')).toEqual([word('title', 'foo'), word('bar'), typing('baz')]);
  });

  it('folds case and Latin diacritics', () => {
    expect(must('Café CRÈME')).toEqual([word('cafe'), typing('creme')]);
    expect(must('nai\u0308ve')).toEqual([typing('naive')]);
  });

  it('normalizes the raw query for exact-match ranking', () => {
    expect(parse('  Hello   World\t ')?.normalized).toBe('hello world');
    expect(parse('@Types/Node')?.normalized).toBe('@types/node');
    expect(parse('a\n\nb')?.normalized).toBe('a b');
  });

  it('allows tab, newline and CR', () => {
    expect(must('a\tb\r\nc')).toEqual([word('a'), word('b'), typing('c')]);
  });

  describe('limits', () => {
    it('accepts exactly the default limits', () => {
      expect(parse('x'.repeat(DEFAULT_MAX_QUERY_LENGTH))).not.toBeNull();
      const terms = Array.from({ length: DEFAULT_MAX_QUERY_TERMS }, (_, i) => `t${i}`).join(' ');
      expect(parse(terms)?.must).toHaveLength(32);
    });

    it('rejects a query longer than maxLength', () => {
      const err = errorOf(() => parse('x'.repeat(513)));
      expect(err.code).toBe('INVALID_QUERY');
      expect(err.status).toBe(400);
      expect(err.message).toBe('q is 513 characters long; at most 512 are allowed');
      expect(err.details).toEqual({ length: 513, limit: 512 });
      expect(errorOf(() => parse('hello world', { maxLength: 10 })).message).toBe(
        'q is 11 characters long; at most 10 are allowed',
      );
      expect(errorOf(() => parse('a '.repeat(5000))).code).toBe('INVALID_QUERY');
    });

    it('rejects more than maxTerms tokens, counting phrases and exclusions', () => {
      const many = Array.from({ length: 33 }, (_, i) => `t${i}`).join(' ');
      const err = errorOf(() => parse(many));
      expect(err.code).toBe('INVALID_QUERY');
      expect(err.message).toBe('q has 33 terms; at most 32 are allowed');
      expect(err.details).toEqual({ terms: 33, limit: 32 });
      expect(errorOf(() => parse('a "b c" -d-e', { maxTerms: 4 })).message).toBe(
        'q has 5 terms; at most 4 are allowed',
      );
      expect(parse('a "b c" -d', { maxTerms: 4 })).not.toBeNull();
      // a-b-c-... is one word but many terms.
      expect(errorOf(() => parse(Array.from({ length: 40 }, () => 'a').join('-'))).message).toBe(
        'q has 40 terms; at most 32 are allowed',
      );
    });

    it.each<[string, number]>([
      ['\u0000', 0],
      ['abc\u0000', 3],
      ['\u001b[31mred', 0],
      ['a b\u0007', 3],
      ['"x\u0001"', 2],
      ['x\u000b', 1],
      ['x\u000c', 1],
    ])('rejects control characters: %j', (q, position) => {
      const err = errorOf(() => parse(q));
      expect(err.code).toBe('INVALID_QUERY');
      expect(err.message).toBe(`q contains a control character at position ${position}`);
      expect(err.details).toEqual({ position });
    });

    it('checks the length before scanning', () => {
      expect(errorOf(() => parse('\u0000'.repeat(10_000))).message).toMatch(/^q is 10000 characters long/);
    });
  });

  it('always returns well-formed queries', () => {
    let s = 1;
    const next = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const alphabet = ['a', 'B', 'é', ' ', ' ', '-', '"', '+', '.', '/', '@', '日', '\t', '1', '_'];
    for (let n = 0; n < 1000; n++) {
      const q = Array.from(
        { length: Math.floor(next() * 24) },
        () => alphabet[Math.floor(next() * alphabet.length)],
      ).join('');
      const out: TextQuery | null = parse(q);
      if (out === null) {
        expect(tokenize(q)).toEqual([]);
        continue;
      }
      const clauses = [...out.must, ...out.mustNot];
      expect(clauses.length).toBeGreaterThan(0);
      for (const c of clauses) {
        expect(c.tokens.length).toBeGreaterThan(0);
        for (const t of c.tokens) expect(t).toMatch(/^[\p{L}\p{N}]+$/u);
      }
      expect(out.mustNot.every((c) => !c.prefix)).toBe(true);
      expect(out.must.filter((c) => c.prefix).length).toBeLessThanOrEqual(1);
      if (out.must.some((c) => c.prefix)) expect(out.must[out.must.length - 1]!.prefix).toBe(true);
      expect(out.normalized).toBe(out.normalized.trim().toLowerCase());
    }
  });
});
