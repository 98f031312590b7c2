import type Database from 'better-sqlite3';

/**
 * Rows per INSERT statement. One statement per row costs a call into SQLite and a bind per row, about as much as
 * storing the row: 64 rows a statement measured 1.4-1.6 µs of CPU a search row against 2.2-3.0 µs one at a time
 * (bench/analytics-flush.ts), and 128 or 256 rows were no faster. 64 x 7 columns stays far below SQLite's
 * parameter limit.
 */
export const ROWS_PER_STATEMENT = 64;

/**
 * Inserts rows of one table many to a statement: full statements of ROWS_PER_STATEMENT rows, then the rest one
 * row at a time. Statements are prepared once, on first use (the table must exist by then). Call inside a
 * transaction.
 */
export class SqliteRowsInsert {
  private many: Database.Statement | undefined;
  private one: Database.Statement | undefined;
  /** Reused between calls: a batch of cache hits must not allocate an array per row. */
  private readonly params: unknown[];

  constructor(
    private readonly db: Database.Database,
    private readonly table: string,
    private readonly columns: readonly string[],
    /** After the rows (an upsert's ON CONFLICT clause), or nothing. */
    private readonly suffix = '',
  ) {
    this.params = new Array<unknown>(ROWS_PER_STATEMENT * columns.length);
  }

  private statement(rows: number): Database.Statement {
    const row = `(${this.columns.map(() => '?').join(', ')})`;
    return this.db.prepare(
      `INSERT INTO ${this.table} (${this.columns.join(', ')}) VALUES ${Array(rows).fill(row).join(', ')} ${this.suffix}`,
    );
  }

  /** Inserts `rows`; `write(row, params, at)` puts the row's column values into params from index `at`. */
  run<T>(rows: readonly T[], write: (row: T, params: unknown[], at: number) => void): void {
    const width = this.columns.length;
    const params = this.params;
    let i = 0;
    if (rows.length >= ROWS_PER_STATEMENT) {
      this.many ??= this.statement(ROWS_PER_STATEMENT);
      for (; i + ROWS_PER_STATEMENT <= rows.length; i += ROWS_PER_STATEMENT) {
        for (let j = 0; j < ROWS_PER_STATEMENT; j++) write(rows[i + j]!, params, j * width);
        this.many.run(params);
      }
    }
    if (i < rows.length) {
      this.one ??= this.statement(1);
      const single = new Array<unknown>(width);
      for (; i < rows.length; i++) {
        write(rows[i]!, single, 0);
        this.one.run(single);
      }
    }
  }
}
