import { SiftError } from '../errors.js';
import type { Filter, Scalar } from './types.js';

/**
 * The filter language of the `filter` query parameter, e.g.
 *   scope = "@aws-sdk" AND downloads >= 1000 AND NOT deprecated = true
 * Precedence is NOT > AND > OR. Positions in errors are 0-based UTF-16 offsets (what a browser's
 * input.setSelectionRange expects), so a UI can put the caret on the problem.
 */

/** Hostile input must not exhaust the stack or CPU; real filters are far below both limits. */
export const MAX_FILTER_LENGTH = 4096;
export const MAX_FILTER_DEPTH = 32;
export const MAX_IN_VALUES = 1024;

const FIELD = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const BARE_CHAR = /[A-Za-z0-9_.:@/+-]/;
const NUMBER = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'exists', 'true', 'false']);
const COMPARISONS = new Set(['=', '!=', '<', '<=', '>', '>=']);
/** Operators people bring from other languages, and what they meant. */
const SUGGESTIONS: Record<string, string> = {
  '==': '"="',
  '===': '"="',
  '!==': '"!="',
  '<>': '"!="',
  '=!': '"!="',
  '!': '"!=" or NOT',
  '=>': '">="',
  '=<': '"<="',
  '&&': 'AND',
  '&': 'AND',
  '||': 'OR',
  '|': 'OR',
};
const OPERATOR_CHAR = /[=!<>&|]/;

type TokenKind =
  'lparen' | 'rparen' | 'lbracket' | 'rbracket' | 'comma' | 'op' | 'string' | 'number' | 'word' | 'eof';

interface Token {
  kind: TokenKind;
  /** The source text, quotes included, so messages quote what the user typed. */
  text: string;
  pos: number;
  value?: string | number;
}

const fail = (
  message: string,
  position: number,
  extra: { expected?: string; found?: string } = {},
): never => {
  throw new SiftError('INVALID_FILTER', `filter: ${message}`, { position, ...extra });
};

const clip = (s: string): string => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

const describe = (t: Token): string => {
  if (t.kind === 'eof') return 'end of input';
  if (t.kind === 'string') return `string ${clip(t.text)}`;
  return `"${clip(t.text)}"`;
};

const found = (t: Token): string => (t.kind === 'eof' ? 'end of input' : clip(t.text));

const isControl = (code: number): boolean =>
  (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || (code >= 0x7f && code <= 0x9f);

const hex4 = (code: number): string => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

/** Lexes on demand, so the first problem in reading order is the one reported. */
class Lexer {
  private i = 0;
  private lookahead: Token | undefined;

  constructor(private readonly src: string) {}

  peek(): Token {
    this.lookahead ??= this.scan();
    return this.lookahead;
  }

  next(): Token {
    const t = this.peek();
    this.lookahead = undefined;
    return t;
  }

  private scan(): Token {
    const src = this.src;
    while (this.i < src.length) {
      const code = src.charCodeAt(this.i);
      if (isControl(code))
        fail(`control character ${hex4(code)} at position ${this.i}`, this.i, { found: hex4(code) });
      if (!/\s/u.test(src[this.i]!)) break;
      this.i++;
    }
    const pos = this.i;
    if (pos >= src.length) return { kind: 'eof', text: '', pos };
    const c = src[pos]!;
    const single = (kind: TokenKind): Token => {
      this.i++;
      return { kind, text: c, pos };
    };
    switch (c) {
      case '(':
        return single('lparen');
      case ')':
        return single('rparen');
      case '[':
        return single('lbracket');
      case ']':
        return single('rbracket');
      case ',':
        return single('comma');
      case '"':
      case "'":
        return this.string(c);
    }
    if (OPERATOR_CHAR.test(c)) return this.operator();
    if (BARE_CHAR.test(c)) return this.bare();
    const cp = src.codePointAt(pos)!;
    return fail(
      `unexpected character "${String.fromCodePoint(cp)}" at position ${pos}; quote values that contain it`,
      pos,
      { found: String.fromCodePoint(cp) },
    );
  }

  private operator(): Token {
    const pos = this.i;
    while (this.i < this.src.length && OPERATOR_CHAR.test(this.src[this.i]!)) this.i++;
    const text = this.src.slice(pos, this.i);
    if (COMPARISONS.has(text)) return { kind: 'op', text, pos };
    const hint = SUGGESTIONS[text];
    return fail(
      `unknown operator "${clip(text)}" at position ${pos}${hint ? `; did you mean ${hint}?` : ''}`,
      pos,
      {
        found: clip(text),
        ...(hint ? { expected: hint.replace(/"/g, '') } : {}),
      },
    );
  }

  private bare(): Token {
    const pos = this.i;
    while (this.i < this.src.length && BARE_CHAR.test(this.src[this.i]!)) this.i++;
    const text = this.src.slice(pos, this.i);
    if (!NUMBER.test(text)) return { kind: 'word', text, pos, value: text };
    const value = Number(text);
    if (!Number.isFinite(value))
      fail(`number ${clip(text)} at position ${pos} is out of range`, pos, { found: clip(text) });
    return { kind: 'number', text, pos, value };
  }

  private string(quote: string): Token {
    const src = this.src;
    const pos = this.i;
    let value = '';
    let i = pos + 1;
    while (i < src.length) {
      const c = src[i]!;
      if (c === quote) {
        this.i = i + 1;
        return { kind: 'string', text: src.slice(pos, this.i), pos, value };
      }
      if (c !== '\\') {
        value += c;
        i++;
        continue;
      }
      const e = src[i + 1];
      if (e === undefined) break;
      if (e === '\\' || e === '"' || e === "'" || e === '/') value += e;
      else if (e === 'n') value += '\n';
      else if (e === 't') value += '\t';
      else if (e === 'r') value += '\r';
      else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
        value += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
        i += 4;
      } else {
        // Rejecting unknown escapes keeps `\d` from silently meaning `d`; people who typed it meant something else.
        const bad = e === 'u' ? src.slice(i, i + 6) : `\\${e}`;
        fail(`invalid escape "${bad}" at position ${i}; use \\\\, \\", \\', \\n, \\t, \\r or \\uXXXX`, i, {
          found: bad,
        });
      }
      i += 2;
    }
    return fail(`unterminated string starting at position ${pos}`, pos, {
      expected: quote,
      found: 'end of input',
    });
  }
}

const isKeyword = (t: Token, kw: string): boolean => t.kind === 'word' && t.text.toLowerCase() === kw;

/** Nested and/or of the same kind mean the same as one flat list, and engines emit less nesting. */
const combine = (kind: 'and' | 'or', children: Filter[]): Filter =>
  children.length === 1
    ? children[0]!
    : { kind, children: children.flatMap((c) => (c.kind === kind ? c.children : [c])) };

/**
 * `field ALL [a, b]`: the field holds every value. Each equality matches when any element equals its value, so
 * the AND of them is "all of" on an array field (and on a single-valued field, at most one distinct value).
 */
export function allOf(field: string, values: Scalar[]): Filter {
  return combine(
    'and',
    [...new Set(values)].map((value) => ({ kind: 'term', field, value })),
  );
}

class Parser {
  private depth = 0;

  constructor(private readonly lex: Lexer) {}

  parse(): Filter {
    const filter = this.or();
    const t = this.lex.peek();
    if (t.kind !== 'eof') {
      const why = t.kind === 'rparen' ? ' without a matching "("' : '; expected AND, OR or the end';
      fail(`unexpected ${describe(t)} at position ${t.pos}${why}`, t.pos, {
        expected: 'AND, OR or end of input',
        found: found(t),
      });
    }
    return filter;
  }

  private expected(what: string, t: Token, after?: Token): never {
    const ctx = after ? ` after "${clip(after.text)}"` : '';
    return fail(`expected ${what}${ctx} at position ${t.pos}, found ${describe(t)}`, t.pos, {
      expected: what,
      found: found(t),
    });
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_FILTER_DEPTH) {
      fail(`nesting deeper than ${MAX_FILTER_DEPTH} levels at position ${t.pos}`, t.pos, { found: found(t) });
    }
  }

  private or(): Filter {
    const children = [this.and()];
    while (isKeyword(this.lex.peek(), 'or')) {
      this.lex.next();
      children.push(this.and());
    }
    return combine('or', children);
  }

  private and(): Filter {
    const children = [this.not()];
    while (isKeyword(this.lex.peek(), 'and')) {
      this.lex.next();
      children.push(this.not());
    }
    return combine('and', children);
  }

  private not(): Filter {
    const t = this.lex.peek();
    if (!isKeyword(t, 'not')) return this.primary();
    this.lex.next();
    this.enter(t);
    const child = this.not();
    this.depth--;
    return { kind: 'not', child };
  }

  private primary(): Filter {
    const open = this.lex.next();
    if (open.kind === 'lparen') {
      this.enter(open);
      const inner = this.or();
      const close = this.lex.peek();
      if (close.kind !== 'rparen') {
        fail(
          `missing ")" for the "(" at position ${open.pos}; found ${describe(close)} at position ${close.pos}`,
          close.pos,
          {
            expected: ')',
            found: found(close),
          },
        );
      }
      this.lex.next();
      this.depth--;
      return inner;
    }
    return this.predicate(open);
  }

  private predicate(name: Token): Filter {
    if (name.kind !== 'word' || KEYWORDS.has(name.text.toLowerCase())) {
      this.expected('a field name, "(" or NOT', name);
    }
    if (!FIELD.test(name.text)) {
      fail(
        `invalid field name "${clip(name.text)}" at position ${name.pos}; field names are letters, digits, "_" and "."`,
        name.pos,
        { found: clip(name.text) },
      );
    }
    const field = name.text;
    const op = this.lex.next();
    if (op.kind === 'op') {
      const value = this.value(op);
      switch (op.text) {
        case '=':
          return { kind: 'term', field, value };
        case '!=':
          return { kind: 'not', child: { kind: 'term', field, value } };
        case '<':
          return { kind: 'range', field, lt: value };
        case '<=':
          return { kind: 'range', field, lte: value };
        case '>':
          return { kind: 'range', field, gt: value };
        default:
          return { kind: 'range', field, gte: value };
      }
    }
    if (isKeyword(op, 'in')) return { kind: 'terms', field, values: this.list(op) };
    // Every listed value among the field's values: on a list field, one equality per value, all AND-ed.
    if (isKeyword(op, 'all')) return allOf(field, this.list(op));
    if (isKeyword(op, 'exists')) return { kind: 'exists', field };
    if (isKeyword(op, 'not')) {
      const what = this.lex.next();
      if (isKeyword(what, 'in'))
        return { kind: 'not', child: { kind: 'terms', field, values: this.list(what) } };
      if (isKeyword(what, 'exists')) return { kind: 'not', child: { kind: 'exists', field } };
      this.expected('IN or EXISTS', what, op);
    }
    return this.expected('an operator (=, !=, <, <=, >, >=, IN, NOT IN, ALL, EXISTS, NOT EXISTS)', op, name);
  }

  private value(after: Token): Scalar {
    const t = this.lex.next();
    if (t.kind === 'string') return t.value!;
    // Numbers stay as written: the field's type decides (checkFilter), so `version = 1.0` on a keyword field
    // means "1.0", not "1", and `downloads >= 1e3` still means 1000.
    if (t.kind === 'number') return t.text;
    if (t.kind === 'word') {
      const lower = t.text.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      // A keyword here is almost always a missing value (`a = AND b = 1`); quote it to mean the word.
      if (!KEYWORDS.has(lower)) return t.text;
    }
    return this.expected('a value', t, after);
  }

  private list(inToken: Token): Scalar[] {
    const open = this.lex.next();
    if (open.kind !== 'lbracket') this.expected('"["', open, inToken);
    if (this.lex.peek().kind === 'rbracket') {
      fail(
        `empty ${inToken.text.toUpperCase()} list at position ${open.pos}; list at least one value`,
        open.pos,
        {
          expected: 'a value',
          found: ']',
        },
      );
    }
    const values: Scalar[] = [];
    let prev = open;
    for (;;) {
      if (values.length === MAX_IN_VALUES) {
        const t = this.lex.peek();
        fail(
          `${inToken.text.toUpperCase()} list at position ${open.pos} has more than ${MAX_IN_VALUES} values`,
          t.pos,
          {
            found: found(t),
          },
        );
      }
      values.push(this.value(prev));
      const sep = this.lex.next();
      if (sep.kind === 'rbracket') return values;
      if (sep.kind !== 'comma') this.expected('"," or "]"', sep);
      prev = sep;
    }
  }
}

/** Parses a filter expression; throws SiftError INVALID_FILTER with the 0-based position of the problem. */
export function parseFilterExpression(input: string): Filter {
  if (input.length > MAX_FILTER_LENGTH) {
    fail(
      `expression is ${input.length} characters long; at most ${MAX_FILTER_LENGTH} are allowed`,
      MAX_FILTER_LENGTH,
    );
  }
  return new Parser(new Lexer(input)).parse();
}
