import Database from 'better-sqlite3';
import type { KnnRequest, SearchRequest, SuggestRequest } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import type { ExportPageRequest } from '../engine.js';
import { didYouMean } from './did-you-mean.js';
import { exportPage } from './export-page.js';
import { runKnn } from './knn.js';
import { runSearch } from './search.js';
import { loadVectorExtension } from './vector-extension.js';
import { runSuggest } from './suggest.js';

/** One read of the embedded engine, as it crosses to whatever runs it (a reader thread, or this thread). */
export type ReadTask =
  | { op: 'search'; tid: number; schema: IndexSchema; request: SearchRequest }
  | { op: 'suggest'; tid: number; schema: IndexSchema; request: SuggestRequest }
  | { op: 'export'; tid: number; schema: IndexSchema; request: ExportPageRequest }
  | { op: 'knn'; tid: number; schema: IndexSchema; request: KnnRequest };

/** A read-only connection as readers use it: beside the writer (WAL), with a page cache and the file mapped. */
export function openReader(path: string): Database.Database {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -32768');
  db.pragma('mmap_size = 268435456');
  loadVectorExtension(db);
  return db;
}

/** Runs a read on `db`: the one place that says what each kind of read does. */
export function executeRead(db: Database.Database, task: ReadTask): unknown {
  switch (task.op) {
    case 'search':
      return didYouMean(
        db,
        task.tid,
        task.schema,
        task.request,
        runSearch(db, task.tid, task.schema, task.request),
      );
    case 'export':
      return exportPage(db, task.tid, task.schema, task.request);
    case 'suggest':
      return runSuggest(db, task.tid, task.schema, task.request);
    case 'knn':
      return runKnn(db, task.tid, task.schema, task.request);
  }
}
