/**
 * A reader thread of the embedded engine. SQLite calls are synchronous, so searches run here, each thread with
 * its own read-only connection (WAL lets readers run beside the writer), and the HTTP event loop stays free to
 * answer probes and accept connections however heavy the queries are.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { runSearch } from './search.js';
import { didYouMean } from './did-you-mean.js';
import { runSuggest } from './suggest.js';
import { exportPage } from './export-page.js';
import type { ReadTask } from './read-pool.js';

const db = new Database(workerData.path as string, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -32768');
db.pragma('mmap_size = 268435456');

parentPort!.on('message', (task: ReadTask) => {
  try {
    const result =
      task.op === 'search'
        ? didYouMean(
            db,
            task.tid,
            task.schema,
            task.request,
            runSearch(db, task.tid, task.schema, task.request),
          )
        : task.op === 'export'
          ? exportPage(db, task.tid, task.schema, task.request)
          : runSuggest(db, task.tid, task.schema, task.request);
    parentPort!.postMessage({ id: task.id, ok: true, result });
  } catch (err) {
    const e = err as Error & { code?: string };
    parentPort!.postMessage({ id: task.id, ok: false, error: { message: e.message, code: e.code } });
  }
});
