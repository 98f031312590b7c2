/**
 * A reader thread of the embedded engine. SQLite calls are synchronous, so searches run here, each thread with
 * its own read-only connection (WAL lets readers run beside the writer), and the HTTP event loop stays free to
 * answer probes and accept connections however heavy the queries are.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { executeRead, openReader, type ReadTask } from './read-task.js';

const db = openReader(workerData.path as string);

parentPort!.on('message', (task: ReadTask & { id: number }) => {
  try {
    parentPort!.postMessage({ id: task.id, ok: true, result: executeRead(db, task) });
  } catch (err) {
    const e = err as Error & { code?: string };
    parentPort!.postMessage({ id: task.id, ok: false, error: { message: e.message, code: e.code } });
  }
});
