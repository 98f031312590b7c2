import { SiftError } from '../../errors.js';

/** What a reader thread reports of a failed read: SQLite's message and code, as they crossed the thread. */
export interface ReadFailure {
  message: string;
  code?: string | undefined;
}

/**
 * The version a read was handed no longer exists: a switch (here or in another process) dropped its tables before
 * the reader got to it. The engine runs the read again on the live version; after its last attempt the client is
 * told to retry.
 */
export class VersionDroppedError extends SiftError {
  constructor(cause: Error) {
    super('ENGINE_UNAVAILABLE', 'the index was switched to a new version during the read; retry', undefined, {
      cause,
    });
    this.name = 'VersionDroppedError';
  }
}

/** The version's table lacks a column the read names: the index schema changed after the request was checked. */
export class SchemaChangedError extends SiftError {
  constructor(cause: Error) {
    super(
      'INVALID_REQUEST',
      'the index changed its schema while this request was being checked; a field it names no longer exists, retry',
      undefined,
      { cause },
    );
    this.name = 'SchemaChangedError';
  }
}

/**
 * Turns a failed read into the error catalogue, once, where SQLite's error arrives; the engine then tells failures
 * apart by type. SQLite reports a missing table and a missing column with the same code (SQLITE_ERROR), so its
 * message is the only thing that tells them apart, and this is the one place that reads it.
 */
export function readError(failure: ReadFailure): SiftError {
  const cause = Object.assign(new Error(failure.message), failure.code ? { code: failure.code } : {});
  if (failure.code === 'SQLITE_BUSY' || failure.code === 'SQLITE_LOCKED') {
    return new SiftError('ENGINE_UNAVAILABLE', 'the database is busy; retry shortly', undefined, { cause });
  }
  if (failure.code === 'SQLITE_ERROR' && failure.message.startsWith('no such table')) {
    return new VersionDroppedError(cause);
  }
  if (failure.code === 'SQLITE_ERROR' && failure.message.startsWith('no such column')) {
    return new SchemaChangedError(cause);
  }
  // Anything else is a bug in the SQL Sift built: the message is for the log, the client gets the request id.
  return new SiftError('INTERNAL', `embedded engine read failed: ${failure.message}`, undefined, { cause });
}
