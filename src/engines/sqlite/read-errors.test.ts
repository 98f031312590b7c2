/**
 * How a failed read is told apart: real SQLite errors (from an in-memory database) become typed catalogue errors
 * that keep SQLite's own error as their cause, so the engine never reads a message.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SiftError } from '../../errors.js';
import { readError, SchemaChangedError, VersionDroppedError } from './read-errors.js';

/** What the reader thread sends back for an error SQLite really raised. */
function failureOf(sql: string): { message: string; code?: string } {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE d_1 (id TEXT PRIMARY KEY, name TEXT)');
  try {
    db.prepare(sql).all();
  } catch (err) {
    const e = err as Error & { code?: string };
    return { message: e.message, code: e.code };
  } finally {
    db.close();
  }
  throw new Error(`${sql} did not fail`);
}

describe('read errors of the embedded engine', () => {
  it('a dropped version is VersionDroppedError (503), with the SQLite error as its cause', () => {
    const failure = failureOf('SELECT id FROM d_2');
    const err = readError(failure);
    expect(err).toBeInstanceOf(VersionDroppedError);
    expect(err).toMatchObject({ code: 'ENGINE_UNAVAILABLE', status: 503 });
    expect(err.cause).toMatchObject({ message: failure.message, code: 'SQLITE_ERROR' });
  });

  it('a column the table lacks is SchemaChangedError (400)', () => {
    const failure = failureOf('SELECT downloads FROM d_1');
    const err = readError(failure);
    expect(err).toBeInstanceOf(SchemaChangedError);
    expect(err).toMatchObject({ code: 'INVALID_REQUEST', status: 400 });
    expect((err.cause as Error).message).toBe(failure.message);
  });

  it('a busy database is ENGINE_UNAVAILABLE, and any other failure INTERNAL with the cause kept', () => {
    const busy = readError({ message: 'database is locked', code: 'SQLITE_BUSY' });
    expect(busy).toMatchObject({ code: 'ENGINE_UNAVAILABLE' });
    expect(busy).not.toBeInstanceOf(VersionDroppedError);
    const failure = failureOf('SELECT FROM');
    const other = readError(failure);
    expect(other).toBeInstanceOf(SiftError);
    expect(other).not.toBeInstanceOf(SchemaChangedError);
    expect(other).toMatchObject({ code: 'INTERNAL', status: 500 });
    expect((other.cause as Error).message).toBe(failure.message);
  });
});
