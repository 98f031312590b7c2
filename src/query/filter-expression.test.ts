import { describe, expect, it } from 'vitest';
import { SiftError } from '../errors.js';
import {
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  MAX_IN_VALUES,
  parseFilterExpression,
} from './filter-expression.js';
import type { Filter } from './types.js';

const parse = parseFilterExpression;

function errorOf(input: string): SiftError {
  try {
    parse(input);
  } catch (err) {
    expect(err).toBeInstanceOf(SiftError);
    return err as SiftError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to fail`);
}

const term = (field: string, value: string | number | boolean): Filter => ({ kind: 'term', field, value });

describe('parseFilterExpression: the language', () => {
  it('parses the documented example', () => {
    expect(parse('scope = "@aws-sdk" AND downloads >= 1000 AND NOT deprecated = true')).toEqual({
      kind: 'and',
      children: [
        term('scope', '@aws-sdk'),
        { kind: 'range', field: 'downloads', gte: '1000' },
        { kind: 'not', child: term('deprecated', true) },
      ],
    });
  });

  it('maps every comparison operator', () => {
    expect(parse('a = 1')).toEqual(term('a', '1'));
    expect(parse('a != 1')).toEqual({ kind: 'not', child: term('a', '1') });
    expect(parse('a < 1')).toEqual({ kind: 'range', field: 'a', lt: '1' });
    expect(parse('a <= 1')).toEqual({ kind: 'range', field: 'a', lte: '1' });
    expect(parse('a > 1')).toEqual({ kind: 'range', field: 'a', gt: '1' });
    expect(parse('a >= 1')).toEqual({ kind: 'range', field: 'a', gte: '1' });
  });

  it('needs no whitespace around operators', () => {
    expect(parse('downloads>=1000')).toEqual({ kind: 'range', field: 'downloads', gte: '1000' });
    expect(parse('a!=-5')).toEqual({ kind: 'not', child: term('a', '-5') });
    expect(parse('a<-5')).toEqual({ kind: 'range', field: 'a', lt: '-5' });
    expect(parse('(a="x")AND(b=2)')).toEqual({ kind: 'and', children: [term('a', 'x'), term('b', '2')] });
  });

  it('parses IN, NOT IN, EXISTS and NOT EXISTS', () => {
    expect(parse('license IN [MIT, "Apache-2.0", 3]')).toEqual({
      kind: 'terms',
      field: 'license',
      values: ['MIT', 'Apache-2.0', '3'],
    });
    expect(parse('license NOT IN [GPL]')).toEqual({
      kind: 'not',
      child: { kind: 'terms', field: 'license', values: ['GPL'] },
    });
    expect(parse('NOT license IN [GPL]')).toEqual(parse('license NOT IN [GPL]'));
    expect(parse('homepage EXISTS')).toEqual({ kind: 'exists', field: 'homepage' });
    expect(parse('homepage NOT EXISTS')).toEqual({
      kind: 'not',
      child: { kind: 'exists', field: 'homepage' },
    });
    expect(parse('a IN [1]')).toEqual({ kind: 'terms', field: 'a', values: ['1'] });
  });

  it('parses ALL as one equality per distinct value, AND-ed (all of them, on a list field)', () => {
    expect(parse('tags ALL ["fantasy", humor, "fantasy"]')).toEqual({
      kind: 'and',
      children: [term('tags', 'fantasy'), term('tags', 'humor')],
    });
    expect(parse('tags all [a]')).toEqual(term('tags', 'a'));
    expect(parse('NOT tags ALL [a, b]')).toEqual({
      kind: 'not',
      child: { kind: 'and', children: [term('tags', 'a'), term('tags', 'b')] },
    });
    // Not a reserved word: a field or a bare value may still be called "all".
    expect(parse('all = all')).toEqual(term('all', 'all'));
    expect(errorOf('tags ALL []').message).toContain('empty ALL list');
    expect(errorOf('tags ALL "a"').message).toContain('expected "["');
  });

  it('treats keywords case-insensitively', () => {
    expect(parse('a = 1 and b = 2 Or NOT c exists')).toEqual(parse('a = 1 AND b = 2 OR NOT c EXISTS'));
    expect(parse('a in [1] AND b not in [2] AND c Not Exists')).toEqual(
      parse('a IN [1] AND b NOT IN [2] AND c NOT EXISTS'),
    );
    expect(parse('deprecated = TRUE')).toEqual(term('deprecated', true));
    expect(parse('deprecated = False')).toEqual(term('deprecated', false));
  });

  it('gives NOT precedence over AND, and AND over OR', () => {
    expect(parse('a = 1 OR b = 2 AND c = 3')).toEqual({
      kind: 'or',
      children: [term('a', '1'), { kind: 'and', children: [term('b', '2'), term('c', '3')] }],
    });
    expect(parse('a = 1 AND b = 2 OR c = 3')).toEqual({
      kind: 'or',
      children: [{ kind: 'and', children: [term('a', '1'), term('b', '2')] }, term('c', '3')],
    });
    expect(parse('NOT a = 1 AND b = 2')).toEqual({
      kind: 'and',
      children: [{ kind: 'not', child: term('a', '1') }, term('b', '2')],
    });
    expect(parse('NOT a = 1 OR b = 2')).toEqual({
      kind: 'or',
      children: [{ kind: 'not', child: term('a', '1') }, term('b', '2')],
    });
    expect(parse('NOT NOT a = 1')).toEqual({ kind: 'not', child: { kind: 'not', child: term('a', '1') } });
  });

  it('lets parentheses override precedence', () => {
    expect(parse('(a = 1 OR b = 2) AND c = 3')).toEqual({
      kind: 'and',
      children: [{ kind: 'or', children: [term('a', '1'), term('b', '2')] }, term('c', '3')],
    });
    expect(parse('NOT (a = 1 OR b = 2)')).toEqual({
      kind: 'not',
      child: { kind: 'or', children: [term('a', '1'), term('b', '2')] },
    });
    expect(parse('((((a = 1))))')).toEqual(term('a', '1'));
  });

  it('flattens nested and/or of the same kind, and only those', () => {
    expect(parse('a = 1 AND (b = 2 AND c = 3)')).toEqual({
      kind: 'and',
      children: [term('a', '1'), term('b', '2'), term('c', '3')],
    });
    expect(parse('(a = 1 OR b = 2) OR (c = 3 OR (d = 4 OR e = 5))')).toEqual({
      kind: 'or',
      children: [term('a', '1'), term('b', '2'), term('c', '3'), term('d', '4'), term('e', '5')],
    });
    expect(parse('a = 1 AND (b = 2 OR c = 3)')).toEqual({
      kind: 'and',
      children: [term('a', '1'), { kind: 'or', children: [term('b', '2'), term('c', '3')] }],
    });
    expect(parse('a = 1 AND NOT (b = 2 AND c = 3)')).toEqual({
      kind: 'and',
      children: [
        term('a', '1'),
        { kind: 'not', child: { kind: 'and', children: [term('b', '2'), term('c', '3')] } },
      ],
    });
  });

  it('reads quoted strings with escapes', () => {
    expect(parse('a = "x y"')).toEqual(term('a', 'x y'));
    expect(parse("a = 'x y'")).toEqual(term('a', 'x y'));
    expect(parse('a = "say \\"hi\\" \\\\ \\/ \\n\\t\\r \\u0041\\u00e9"')).toEqual(
      term('a', 'say "hi" \\ / \n\t\r Aé'),
    );
    expect(parse("a = 'it\\'s'")).toEqual(term('a', "it's"));
    expect(parse(`a = "it's"`)).toEqual(term('a', "it's"));
    expect(parse(`a = 'say "hi"'`)).toEqual(term('a', 'say "hi"'));
    expect(parse('a = ""')).toEqual(term('a', ''));
    expect(parse('a = "AND"')).toEqual(term('a', 'AND'));
    expect(parse('a = "true"')).toEqual(term('a', 'true'));
    expect(parse('a = "1000"')).toEqual(term('a', '1000'));
    expect(parse('a = "café ☕ 日本"')).toEqual(term('a', 'café ☕ 日本'));
  });

  it('reads numbers: integers, decimals, negatives and exponents', () => {
    expect(parse('a = 42')).toEqual(term('a', '42'));
    expect(parse('a = -3')).toEqual(term('a', '-3'));
    expect(parse('a = 1.5')).toEqual(term('a', '1.5'));
    expect(parse('a = .5')).toEqual(term('a', '.5'));
    expect(parse('a = 1e3')).toEqual(term('a', '1e3'));
    expect(parse('a = -2.5E-2')).toEqual(term('a', '-2.5E-2'));
    expect(parse('a = 0')).toEqual(term('a', '0'));
  });

  it('keeps numbers as written, for the field type to decide (checkFilter)', () => {
    expect(parse('version = 1.0')).toEqual(term('version', '1.0'));
    expect(parse('zip = 01234')).toEqual(term('zip', '01234'));
    expect(parse('a = -0')).toEqual(term('a', '-0'));
    expect(parse('downloads >= 1e3')).toEqual({ kind: 'range', field: 'downloads', gte: '1e3' });
    expect(parse('a IN [1.0, 01, 2E2]')).toEqual({ kind: 'terms', field: 'a', values: ['1.0', '01', '2E2'] });
    // Quoted or not, a number reads the same.
    expect(parse('a = 1.0')).toEqual(parse('a = "1.0"'));
  });

  it('reads bare words as strings', () => {
    expect(parse('license = MIT')).toEqual(term('license', 'MIT'));
    expect(parse('published >= 2024-01-01')).toEqual({
      kind: 'range',
      field: 'published',
      gte: '2024-01-01',
    });
    expect(parse('published < 2024-01-01T10:00:00Z')).toEqual({
      kind: 'range',
      field: 'published',
      lt: '2024-01-01T10:00:00Z',
    });
    expect(parse('scope = @aws-sdk')).toEqual(term('scope', '@aws-sdk'));
    expect(parse('version = 1.2.3')).toEqual(term('version', '1.2.3'));
    expect(parse('path = a/b:c+d_e')).toEqual(term('path', 'a/b:c+d_e'));
    expect(parse('a = -foo')).toEqual(term('a', '-foo'));
    expect(parse('a = 0x10')).toEqual(term('a', '0x10'));
    expect(parse('a = Infinity')).toEqual(term('a', 'Infinity'));
    expect(parse('a = 1.')).toEqual(term('a', '1.'));
  });

  it('accepts dotted and underscored field names', () => {
    expect(parse('meta.author_name = x')).toEqual(term('meta.author_name', 'x'));
    expect(parse('_id = x')).toEqual(term('_id', 'x'));
    expect(parse('__proto__ = x')).toEqual(term('__proto__', 'x'));
  });

  it('treats tabs, newlines and CR as whitespace', () => {
    expect(parse('a = 1\n\tAND\r\nb = 2')).toEqual({
      kind: 'and',
      children: [term('a', '1'), term('b', '2')],
    });
    expect(parse('  a = 1  ')).toEqual(term('a', '1'));
  });

  it('allows control characters inside strings', () => {
    expect(parse('a = "x\u0001y"')).toEqual(term('a', 'x\u0001y'));
  });

  it('keeps long flat chains iterative', () => {
    const input = Array.from({ length: 300 }, (_, i) => `f${i} = ${i}`).join(' OR ');
    expect(input.length).toBeLessThanOrEqual(MAX_FILTER_LENGTH);
    const f = parse(input);
    expect(f.kind === 'or' && f.children.length).toBe(300);
  });

  it('accepts exactly the depth and length limits', () => {
    const deep = '('.repeat(MAX_FILTER_DEPTH) + 'a = 1' + ')'.repeat(MAX_FILTER_DEPTH);
    expect(parse(deep)).toEqual(term('a', '1'));
    let nots: Filter = term('a', '1');
    for (let i = 0; i < MAX_FILTER_DEPTH; i++) nots = { kind: 'not', child: nots };
    expect(parse('NOT '.repeat(MAX_FILTER_DEPTH) + 'a = 1')).toEqual(nots);
    const long = 'a = "' + 'x'.repeat(MAX_FILTER_LENGTH - 6) + '"';
    expect(long.length).toBe(MAX_FILTER_LENGTH);
    expect(parse(long)).toEqual(term('a', 'x'.repeat(MAX_FILTER_LENGTH - 6)));
    const values = Array.from({ length: MAX_IN_VALUES }, () => '1').join(',');
    expect(parse(`a IN [${values}]`)).toMatchObject({ kind: 'terms' });
  });
});

describe('parseFilterExpression: errors', () => {
  const cases: [input: string, message: string, position: number][] = [
    ['downloads >= ', 'filter: expected a value after ">=" at position 13, found end of input', 13],
    [
      'scope = "@aws-sdk" AND downloads >= AND x = 1',
      'filter: expected a value after ">=" at position 36, found "AND"',
      36,
    ],
    ['a = 1)', 'filter: unexpected ")" at position 5 without a matching "("', 5],
    ['(a = 1 OR b = 2))', 'filter: unexpected ")" at position 16 without a matching "("', 16],
    ['(a = 1', 'filter: missing ")" for the "(" at position 0; found end of input at position 6', 6],
    ['(a = 1 b = 2)', 'filter: missing ")" for the "(" at position 0; found "b" at position 7', 7],
    ['a = 1 b = 2', 'filter: unexpected "b" at position 6; expected AND, OR or the end', 6],
    ['a = 1 "x"', 'filter: unexpected string "x" at position 6; expected AND, OR or the end', 6],
    ['', 'filter: expected a field name, "(" or NOT at position 0, found end of input', 0],
    ['   ', 'filter: expected a field name, "(" or NOT at position 3, found end of input', 3],
    ['a = 1 AND', 'filter: expected a field name, "(" or NOT at position 9, found end of input', 9],
    ['a = 1 AND )', 'filter: expected a field name, "(" or NOT at position 10, found ")"', 10],
    [')', 'filter: expected a field name, "(" or NOT at position 0, found ")"', 0],
    ['()', 'filter: expected a field name, "(" or NOT at position 1, found ")"', 1],
    ['AND a = 1', 'filter: expected a field name, "(" or NOT at position 0, found "AND"', 0],
    ['"a" = 1', 'filter: expected a field name, "(" or NOT at position 0, found string "a"', 0],
    ['5 = 1', 'filter: expected a field name, "(" or NOT at position 0, found "5"', 0],
    ['NOT', 'filter: expected a field name, "(" or NOT at position 3, found end of input', 3],
    [
      '1a = 2',
      'filter: invalid field name "1a" at position 0; field names are letters, digits, "_" and "."',
      0,
    ],
    [
      'a-b = 2',
      'filter: invalid field name "a-b" at position 0; field names are letters, digits, "_" and "."',
      0,
    ],
    [
      'a 1',
      'filter: expected an operator (=, !=, <, <=, >, >=, IN, NOT IN, ALL, EXISTS, NOT EXISTS) after "a" at position 2, found "1"',
      2,
    ],
    [
      'a',
      'filter: expected an operator (=, !=, <, <=, >, >=, IN, NOT IN, ALL, EXISTS, NOT EXISTS) after "a" at position 1, found end of input',
      1,
    ],
    ['a NOT 5', 'filter: expected IN or EXISTS after "NOT" at position 6, found "5"', 6],
    ['a NOT = 5', 'filter: expected IN or EXISTS after "NOT" at position 6, found "="', 6],
    ['a IN 1', 'filter: expected "[" after "IN" at position 5, found "1"', 5],
    ['a IN (1, 2)', 'filter: expected "[" after "IN" at position 5, found "("', 5],
    ['a IN []', 'filter: empty IN list at position 5; list at least one value', 5],
    ['a IN [ ]', 'filter: empty IN list at position 5; list at least one value', 5],
    ['a IN [1 2]', 'filter: expected "," or "]" at position 8, found "2"', 8],
    ['a IN [1,]', 'filter: expected a value after "," at position 8, found "]"', 8],
    ['a IN [1', 'filter: expected "," or "]" at position 7, found end of input', 7],
    ['a IN [,1]', 'filter: expected a value after "[" at position 6, found ","', 6],
    ['a = AND', 'filter: expected a value after "=" at position 4, found "AND"', 4],
    ['a = exists', 'filter: expected a value after "=" at position 4, found "exists"', 4],
    ['a = (1)', 'filter: expected a value after "=" at position 4, found "("', 4],
    ['a = = 1', 'filter: expected a value after "=" at position 4, found "="', 4],
    ['a == 1', 'filter: unknown operator "==" at position 2; did you mean "="?', 2],
    ['a === 1', 'filter: unknown operator "===" at position 2; did you mean "="?', 2],
    ['a <> 1', 'filter: unknown operator "<>" at position 2; did you mean "!="?', 2],
    ['a => 1', 'filter: unknown operator "=>" at position 2; did you mean ">="?', 2],
    ['a =< 1', 'filter: unknown operator "=<" at position 2; did you mean "<="?', 2],
    ['a ! 1', 'filter: unknown operator "!" at position 2; did you mean "!=" or NOT?', 2],
    ['a = 1 && b = 2', 'filter: unknown operator "&&" at position 6; did you mean AND?', 6],
    ['a = 1 || b = 2', 'filter: unknown operator "||" at position 6; did you mean OR?', 6],
    ['a >>= 1', 'filter: unknown operator ">>=" at position 2', 2],
    ['a = "abc', 'filter: unterminated string starting at position 4', 4],
    ["a = 'abc\\'", 'filter: unterminated string starting at position 4', 4],
    ['a = "abc\\', 'filter: unterminated string starting at position 4', 4],
    [
      'a = "\\q"',
      'filter: invalid escape "\\q" at position 5; use \\\\, \\", \\\', \\n, \\t, \\r or \\uXXXX',
      5,
    ],
    [
      'a = "\\u12G4"',
      'filter: invalid escape "\\u12G4" at position 5; use \\\\, \\", \\\', \\n, \\t, \\r or \\uXXXX',
      5,
    ],
    ['a = 1e999', 'filter: number 1e999 at position 4 is out of range', 4],
    ['a = 1e400', 'filter: number 1e400 at position 4 is out of range', 4],
    ['a >= -1e400', 'filter: number -1e400 at position 5 is out of range', 5],
    ['a IN [1, 1e400]', 'filter: number 1e400 at position 9 is out of range', 9],
    ['a = ~x', 'filter: unexpected character "~" at position 4; quote values that contain it', 4],
    ['name = café', 'filter: unexpected character "é" at position 10; quote values that contain it', 10],
    ['a = 😀', 'filter: unexpected character "😀" at position 4; quote values that contain it', 4],
    ['a = 1\u0000', 'filter: control character U+0000 at position 5', 5],
    ['a\u0001= 1', 'filter: control character U+0001 at position 1', 1],
    ['a = 1 \u001b[0m', 'filter: control character U+001B at position 6', 6],
    ['a = 1\u000b', 'filter: control character U+000B at position 5', 5],
    ['a = 1\u007f', 'filter: control character U+007F at position 5', 5],
  ];

  it.each(cases)('%j', (input, message, position) => {
    const err = errorOf(input);
    expect(err.code).toBe('INVALID_FILTER');
    expect(err.status).toBe(400);
    expect(err.message).toBe(message);
    expect(err.details?.position).toBe(position);
  });

  it('reports the first problem in reading order', () => {
    // The second operator is also wrong, but the missing value comes first.
    expect(errorOf('a = = 1 == 2').details?.position).toBe(4);
  });

  it('fills expected and found in details', () => {
    expect(errorOf('downloads >= ').details).toEqual({
      position: 13,
      expected: 'a value',
      found: 'end of input',
    });
    expect(errorOf('a == 1').details).toEqual({ position: 2, expected: '=', found: '==' });
    expect(errorOf('a = 1)').details).toEqual({
      position: 5,
      expected: 'AND, OR or end of input',
      found: ')',
    });
    expect(errorOf('a = "abc').details).toEqual({ position: 4, expected: '"', found: 'end of input' });
  });

  it('limits the input length', () => {
    const input = 'a = "' + 'x'.repeat(MAX_FILTER_LENGTH) + '"';
    const err = errorOf(input);
    expect(err.message).toBe(
      `filter: expression is ${input.length} characters long; at most 4096 are allowed`,
    );
    expect(err.details?.position).toBe(MAX_FILTER_LENGTH);
    expect(errorOf('('.repeat(10_000)).code).toBe('INVALID_FILTER');
    expect(errorOf('a = 1 AND '.repeat(1000)).message).toMatch(/at most 4096/);
  });

  it('limits nesting of parentheses and NOT', () => {
    const parens = '('.repeat(MAX_FILTER_DEPTH + 1) + 'a = 1' + ')'.repeat(MAX_FILTER_DEPTH + 1);
    const err = errorOf(parens);
    expect(err.message).toBe('filter: nesting deeper than 32 levels at position 32');
    expect(err.details?.position).toBe(32);
    expect(errorOf('NOT '.repeat(MAX_FILTER_DEPTH + 1) + 'a = 1').message).toBe(
      'filter: nesting deeper than 32 levels at position 128',
    );
    expect(errorOf('('.repeat(4000)).message).toBe('filter: nesting deeper than 32 levels at position 32');
    expect(errorOf('NOT '.repeat(1000)).message).toBe(
      'filter: nesting deeper than 32 levels at position 128',
    );
    // Depth is nesting, not count: many sibling groups are fine.
    expect(parse(Array.from({ length: 100 }, (_, i) => `(f = ${i})`).join(' OR '))).toMatchObject({
      kind: 'or',
    });
  });

  it('limits the length of an IN list', () => {
    const values = Array.from({ length: MAX_IN_VALUES + 1 }, () => '1').join(',');
    expect(errorOf(`a IN [${values}]`).message).toBe(
      'filter: IN list at position 5 has more than 1024 values',
    );
  });

  // A tiny deterministic generator, so a failure reproduces.
  function* random(seed: number): Generator<number> {
    let s = seed >>> 0;
    for (;;) {
      s = (s * 1664525 + 1013904223) >>> 0;
      yield s / 2 ** 32;
    }
  }

  it('every failure is a SiftError INVALID_FILTER with a position inside the input', () => {
    const pieces = [
      'a',
      'b.c',
      '=',
      '!=',
      '<',
      '<=',
      '>',
      '>=',
      '==',
      '!',
      'AND',
      'or',
      'NOT',
      'IN',
      'EXISTS',
      '(',
      ')',
      '[',
      ']',
      ',',
      '"x"',
      "'y'",
      '"',
      '\\',
      '1',
      '-2.5',
      '1e999',
      'true',
      'MIT',
      '2024-01-01',
      '\u0000',
      '~',
      'é',
      ' ',
      '\t',
    ];
    const rnd = random(42);
    const next = () => rnd.next().value as number;
    let parsed = 0;
    for (let n = 0; n < 2000; n++) {
      const len = Math.floor(next() * 12);
      const input = Array.from({ length: len }, () => pieces[Math.floor(next() * pieces.length)]).join(
        next() < 0.5 ? ' ' : '',
      );
      try {
        parse(input);
        parsed++;
      } catch (err) {
        expect(err).toBeInstanceOf(SiftError);
        const e = err as SiftError;
        expect(e.code).toBe('INVALID_FILTER');
        expect(e.message.startsWith('filter: ')).toBe(true);
        const pos = e.details?.position as number;
        expect(Number.isInteger(pos)).toBe(true);
        expect(pos).toBeGreaterThanOrEqual(0);
        expect(pos).toBeLessThanOrEqual(input.length);
      }
    }
    expect(parsed).toBeGreaterThan(0);
  });

  it('every failure on random characters is a SiftError INVALID_FILTER', () => {
    const rnd = random(7);
    const next = () => rnd.next().value as number;
    for (let n = 0; n < 2000; n++) {
      const input = Array.from({ length: Math.floor(next() * 30) }, () =>
        String.fromCharCode(Math.floor(next() * 128)),
      ).join('');
      try {
        parse(input);
      } catch (err) {
        expect(err).toBeInstanceOf(SiftError);
        expect((err as SiftError).code).toBe('INVALID_FILTER');
      }
    }
  });
});
