/**
 * The analytics writer thread: owns its own connection to the analytics file and runs the SQLite store's writes
 * (insert batches, the retention delete) off the main thread, in the order they were posted. better-sqlite3 is
 * synchronous, so a flush written on the main thread was CPU taken from answering searches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openAnalyticsDb, SqliteAnalyticsWrites } from './sqlite-writes.js';
import type { WriterReply, WriterRequest } from './writer-protocol.js';

const db = openAnalyticsDb(workerData.path as string);
const writes = new SqliteAnalyticsWrites(db);
const port = parentPort!;

function answer(request: WriterRequest): WriterReply {
  try {
    switch (request.op) {
      case 'insert':
        writes.insert(request.rows);
        return { id: request.id, ok: true, result: 0 };
      case 'delete':
        return { id: request.id, ok: true, result: writes.deleteBefore(request.before) };
      case 'close':
        db.close();
        return { id: request.id, ok: true, result: 0 };
    }
  } catch (err) {
    return { id: request.id, ok: false, error: (err as Error).message };
  }
}

port.on('message', (request: WriterRequest) => {
  port.postMessage(answer(request));
  // Closing the port lets the thread end once the reply is out: nothing else keeps it running.
  if (request.op === 'close') port.close();
});
