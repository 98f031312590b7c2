/**
 * The writer thread of a live bulk load (writer-thread.ts): each message is one batch's rows, written in one
 * immediate transaction of this thread's connection, durable (synchronous=FULL) when the answer is posted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { IndexSchema } from '../../schema/types.js';
import { configureWriter, openDatabase } from './open-database.js';
import { versionWriter, type VersionWriter } from './version-writer.js';
import type { WriteReply, WriteRequest } from './writer-thread.js';

const opened = openDatabase(workerData.path as string).then((db) => {
  configureWriter(db);
  const current = db.prepare('SELECT tid, schema FROM sift_indexes WHERE name = ?');
  const bump = db.prepare('UPDATE sift_indexes SET generation = generation + 1 WHERE name = ?');
  let writer: VersionWriter | null = null;
  // The version is looked up inside the transaction, as the engine's own writes do, so a batch can never land
  // in a version that a reindex or schema change switched away from after its rows were built.
  const write = db.transaction((req: WriteRequest): boolean[] | null => {
    const now = current.get(req.index) as { tid: number; schema: string } | undefined;
    if (!now || now.tid !== req.tid || now.schema !== req.schemaText) return null;
    if (writer?.tid !== req.tid || writer.schemaText !== req.schemaText)
      writer = versionWriter(db, req.tid, JSON.parse(req.schemaText) as IndexSchema, req.schemaText);
    const created = writer.writeRows(req.rows);
    bump.run(req.index);
    return created;
  });
  return { db, write };
});

parentPort!.on('message', (msg: WriteRequest | 'close') => {
  void opened
    .then(({ db, write }) => {
      if (msg === 'close') {
        db.close();
        parentPort!.close();
        return;
      }
      const reply: WriteReply = { ok: true, created: write.immediate(msg) };
      parentPort!.postMessage(reply);
    })
    .catch((err: unknown) => {
      const e = err as Error & { code?: string };
      const reply: WriteReply = { ok: false, error: { message: e.message, code: e.code } };
      parentPort!.postMessage(reply);
    });
});
