import { describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/errors.js';
import { fieldSpec } from '../../test/support/schema.js';
import { loadConfig } from '../config/config.js';
import type { IndexSchema } from '../schema/types.js';
import {
  CursorKeys,
  decodeCursor,
  decodeCursorAt,
  encodeCursor,
  queryFingerprint,
  type CursorScope,
} from './cursor.js';
import type { SearchAfter, SortClause } from './types.js';

const schema: IndexSchema = {
  id_field: 'id',
  fields: {
    id: fieldSpec('keyword', { sortable: true }),
    pages: fieldSpec('integer', { sortable: true }),
    rating: fieldSpec('float', { sortable: true }),
    published: fieldSpec('date', { sortable: true }),
    author: fieldSpec('keyword', { sortable: true }),
  },
  ranking: {},
};

const SECRET = 'a-cursor-secret-of-at-least-32-characters';
const OLD_SECRET = 'the-previous-cursor-secret-32-chars-long';
const keys = CursorKeys.fromSecrets(SECRET);
const scope: CursorScope = { index: 'books', fingerprint: queryFingerprint(['q', null, 'pages']) };
const byPages: SortClause[] = [{ field: 'pages', order: 'asc' }];
const byScore: SortClause[] = [{ field: '_score', order: 'desc' }];
const after: SearchAfter = { values: [256], id: 'dune-messiah' };

const decode = (cursor: string, opts: { scope?: CursorScope; keys?: CursorKeys; sort?: SortClause[] } = {}) =>
  decodeCursor(cursor, opts.scope ?? scope, opts.keys ?? keys, opts.sort ?? byPages, schema);
const refusal = (fn: () => unknown) => {
  const err = errorOf(fn);
  expect(err.code).toBe('INVALID_CURSOR');
  expect(err.status).toBe(400);
  return err.message;
};

/** The cursor with its JSON body edited and the original signature kept, as a client tampering would. */
function edited(cursor: string, edit: (body: Record<string, unknown>) => void): string {
  const [payload, mac] = cursor.split('.') as [string, string];
  const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  edit(body);
  return `${Buffer.from(JSON.stringify(body)).toString('base64url')}.${mac}`;
}

describe('signed cursors', () => {
  it('round-trips a position for the same index, query and sort', () => {
    expect(decode(encodeCursor(after, scope, keys))).toEqual(after);
    const scored = { values: [12.5], id: 'x' };
    expect(decode(encodeCursor(scored, scope, keys), { sort: byScore })).toEqual(scored);
  });

  it.each([
    ['a string', ['abc']],
    ['null on a relevance sort', [null]],
    ['a huge negative number', [-1e308]],
    ['another number', [1]],
  ])('refuses an edited position (%s) whose signature no longer matches', (_name, values) => {
    const cursor = encodeCursor({ values: [3.5], id: 'dune' }, scope, keys);
    const message = refusal(() =>
      decode(
        edited(cursor, (b) => ((b.a as SearchAfter).values = values)),
        { sort: byScore },
      ),
    );
    expect(message).toContain('not one Sift issued');
  });

  it('refuses an edited id, index or fingerprint, and garbage', () => {
    const cursor = encodeCursor(after, scope, keys);
    refusal(() => decode(edited(cursor, (b) => ((b.a as SearchAfter).id = 'zzz'))));
    refusal(() => decode(edited(cursor, (b) => (b.i = 'other'))));
    refusal(() => decode(edited(cursor, (b) => (b.f = 'x'))));
    const [payload] = cursor.split('.');
    for (const bad of [
      'not-a-cursor',
      payload!,
      `${payload}.`,
      `${payload}.AAAA`,
      `${cursor}x`,
      '{}',
      'a.b.c',
    ])
      refusal(() => decode(bad));
    // The unsigned cursors of earlier versions are refused too.
    const v1 = Buffer.from(JSON.stringify({ v: 1, f: scope.fingerprint, a: after })).toString('base64url');
    refusal(() => decode(v1));
  });

  it('refuses a cursor signed with another key', () => {
    const forged = encodeCursor(
      after,
      scope,
      CursorKeys.fromSecrets('someone-elses-secret-of-32-characters!!'),
    );
    expect(refusal(() => decode(forged))).toContain('not one Sift issued');
    refusal(() => decode(encodeCursor(after, scope, CursorKeys.ephemeral())));
  });

  it('binds a cursor to its index and its query', () => {
    const cursor = encodeCursor(after, scope, keys);
    expect(refusal(() => decode(cursor, { scope: { ...scope, index: 'movies' } }))).toContain(
      'another index',
    );
    expect(refusal(() => decode(cursor, { scope: { ...scope, fingerprint: 'other' } }))).toContain(
      'different query',
    );
  });

  it('refuses a signed position that does not fit the sort field types (a reindex changed them)', () => {
    const cases: [SortClause[], SearchAfter][] = [
      [byPages, { values: ['256'], id: 'a' }],
      [byPages, { values: [2.5], id: 'a' }],
      [byPages, { values: [256, 1], id: 'a' }],
      [byScore, { values: [null], id: 'a' }],
      [[{ field: 'rating', order: 'asc' }], { values: [true], id: 'a' }],
      [[{ field: 'published', order: 'asc' }], { values: [1e20], id: 'a' }],
      [[{ field: 'author', order: 'asc' }], { values: [7], id: 'a' }],
      [byPages, { values: [256], id: '' }],
    ];
    for (const [sort, position] of cases) {
      expect(refusal(() => decode(encodeCursor(position, scope, keys), { sort }))).toContain(
        'does not fit the sort',
      );
    }
    // null is the position of a document missing the field (it sorts last), on any field but _score.
    const missing = { values: [null], id: 'a' };
    expect(decode(encodeCursor(missing, scope, keys))).toEqual(missing);
  });

  it('verifies with previous secrets during a rotation and signs with the current one', () => {
    const before = CursorKeys.fromSecrets(OLD_SECRET);
    const rotating = CursorKeys.fromSecrets(SECRET, [OLD_SECRET]);
    const inFlight = encodeCursor(after, scope, before);
    expect(decode(inFlight, { keys: rotating })).toEqual(after);
    const fresh = encodeCursor(after, scope, rotating);
    expect(decode(fresh, { keys: keys })).toEqual(after);
    expect(refusal(() => decode(fresh, { keys: before }))).toContain('not one Sift issued');
    // After the grace period the old secret is removed and its cursors stop working.
    refusal(() => decode(inFlight, { keys }));
  });

  it('takes its keys from the configuration, shared by every process with the same settings', () => {
    const env = (extra: Record<string, string>) =>
      loadConfig({ ENVIRONMENT: 'development', ...extra }, '/nonexistent/.env');
    const a = CursorKeys.fromConfig(env({ CURSOR_SECRET: SECRET }));
    const b = CursorKeys.fromConfig(env({ CURSOR_SECRET: SECRET }));
    expect(decode(encodeCursor(after, scope, a), { keys: b })).toEqual(after);
    // Empty CURSOR_SECRET: derived from JWT_SECRET, so it is the same across restarts and replicas.
    const jwt = { JWT_SECRET: 'a-shared-jwt-secret-0123456789' };
    const c = CursorKeys.fromConfig(env(jwt));
    expect(decode(encodeCursor(after, scope, c), { keys: CursorKeys.fromConfig(env(jwt)) })).toEqual(after);
    refusal(() => decode(encodeCursor(after, scope, c), { keys: a }));
    const rotated = CursorKeys.fromConfig(env({ CURSOR_SECRET: OLD_SECRET, CURSOR_SECRET_PREVIOUS: SECRET }));
    expect(decode(encodeCursor(after, scope, a), { keys: rotated })).toEqual(after);
  });
});

describe('curated cursors (pinned results)', () => {
  const at = (cursor: string) => decodeCursorAt(cursor, scope, keys, byPages, schema);

  it('carry the merged position, with or without a ranking position', () => {
    expect(at(encodeCursor(after, scope, keys, 7))).toEqual({ after, position: 7 });
    expect(at(encodeCursor(null, scope, keys, 3))).toEqual({ after: null, position: 3 });
    expect(at(encodeCursor(after, scope, keys))).toEqual({ after, position: null });
    // A page of pins only is no position in the ranking: the plain decoder refuses it.
    expect(refusal(() => decode(encodeCursor(null, scope, keys, 3)))).toBe('cursor is malformed');
  });

  it('refuse a position that is not a count, or no position at all without a ranking position', () => {
    const signed = (body: Record<string, unknown>) => {
      const payload = Buffer.from(
        JSON.stringify({ v: 2, i: 'books', f: scope.fingerprint, ...body }),
      ).toString('base64url');
      return `${payload}.${keys.sign(payload)}`;
    };
    for (const body of [{ a: null }, { a: after, p: -1 }, { a: after, p: 1.5 }, { a: null, p: '3' }])
      expect(
        refusal(() => at(signed(body))),
        JSON.stringify(body),
      ).toBe('cursor is malformed');
    expect(at(signed({ a: after, p: 0 }))).toEqual({ after, position: 0 });
  });
});
