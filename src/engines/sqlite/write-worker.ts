/**
 * The writer thread of a bulk load (writer-thread.ts). A live load's batch is written in one immediate
 * transaction of this thread's connection, durable (synchronous=FULL) when the answer is posted; a load into an
 * empty version holds one transaction from rebuild-begin to rebuild-commit, as the engine's own rebuild does
 * (bulk-load.ts), and rolls it back on any failure or on close.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { IndexSchema } from '../../schema/types.js';
import {
  buildSteps,
  holdsNoDocuments,
  restoreIdIndex,
  setAside,
  textIndexer,
  type SetAside,
} from './derived.js';
import { IdFingerprints } from './id-fingerprints.js';
import { configureWriter, openDatabase } from './open-database.js';
import { versionWriter, type StatementRows, type VersionWriter } from './version-writer.js';
import type { VersionRef, WriteMessage, WriteReply } from './writer-thread.js';

/** The columns of the index's meta row this thread reads. */
interface IndexRow {
  tid: number;
  schema: string;
  job: string | null;
}

interface Rebuild {
  index: string;
  writer: VersionWriter;
  aside: SetAside;
  text: ReturnType<typeof textIndexer>;
  /** A row was replaced (an id seen before in the load): the text index is rebuilt at the end instead. */
  replaced: boolean;
  /** The load's ids while the unique index on id is set aside; null once it is back (or was never set aside). */
  ids: IdFingerprints | null;
}

function threadWriter(db: Database.Database) {
  const current = db.prepare('SELECT tid, schema, job FROM sift_indexes WHERE name = ?');
  const bump = db.prepare('UPDATE sift_indexes SET generation = generation + 1 WHERE name = ?');
  let writer: VersionWriter | null = null;
  let rebuild: Rebuild | null = null;

  // The version is looked up inside the transaction, as the engine's own writes do, so rows can never land in a
  // version that a reindex or schema change switched away from after they were built.
  const writerFor = (
    v: VersionRef,
    now = current.get(v.index) as IndexRow | undefined,
  ): VersionWriter | null => {
    if (!now || now.tid !== v.tid || now.schema !== v.schemaText) return null;
    if (writer?.tid !== v.tid || writer.schemaText !== v.schemaText)
      writer = versionWriter(db, v.tid, JSON.parse(v.schemaText) as IndexSchema, v.schemaText);
    return writer;
  };

  const writeBatch = db.transaction((m: Extract<WriteMessage, { kind: 'batch' }>): boolean[] | null => {
    const w = writerFor(m);
    if (!w) return null;
    const created = w.writeRows(m.rows);
    bump.run(m.index);
    return created;
  });

  const begin = (m: Extract<WriteMessage, { kind: 'rebuild-begin' }>): boolean[] | null => {
    db.exec('BEGIN IMMEDIATE');
    const now = current.get(m.index) as IndexRow | undefined;
    const w = writerFor(m, now);
    // As bulk-load.ts decided before letting the lock go: still this version, still empty, no reindex copying it.
    if (!w || now?.job || !holdsNoDocuments(db, w.tid)) {
      db.exec('ROLLBACK');
      return null;
    }
    const aside = setAside(db, w.tid, { withIdIndex: true });
    rebuild = {
      index: m.index,
      writer: w,
      aside,
      text: textIndexer(db, w.tid, w.schema),
      replaced: false,
      ids: aside.idIndex === undefined ? null : new IdFingerprints(),
    };
    return [];
  };

  const inRebuild = (): Rebuild => {
    if (!rebuild || !db.inTransaction)
      throw new Error('no load into an empty version is open on this thread');
    return rebuild;
  };

  // The thread inserts faster than the main thread parses and checks the next batch: indexing the text of each
  // batch as it comes uses that time, where building it all at the end would add to the load.
  // Without the unique index on id, rows go in by plain inserts, as long as the load's ids are all new; the first
  // id that may repeat (or a load too large to fingerprint) brings the index back for the rest of the load.
  const insert = (rows: StatementRows[]): boolean[] => {
    const r = inRebuild();
    const ids = rows.flatMap((part) => part.ids);
    let created: boolean[];
    if (r.ids?.addAll(ids)) {
      r.writer.insertRows(rows);
      created = ids.map(() => true);
    } else {
      r.ids = null;
      restoreIdIndex(db, r.aside);
      created = r.writer.writeRows(rows);
    }
    r.replaced ||= created.includes(false);
    if (!r.replaced) r.text.indexNew();
    return created;
  };

  const commit = (): boolean[] => {
    const r = inRebuild();
    for (const step of buildSteps(db, r.aside, r.writer.schema, { indexed: !r.replaced })) step();
    bump.run(r.index);
    db.exec('COMMIT');
    rebuild = null;
    return [];
  };

  const abandon = (): void => {
    rebuild = null;
    if (db.inTransaction) db.exec('ROLLBACK');
  };

  return {
    abandon,
    handle(m: Exclude<WriteMessage, { kind: 'close' }>): boolean[] | null {
      try {
        switch (m.kind) {
          case 'batch':
            return writeBatch.immediate(m);
          case 'rebuild-begin':
            return begin(m);
          case 'rebuild-rows':
            return insert(m.rows);
          case 'rebuild-commit':
            return commit();
        }
      } catch (err) {
        // A failed step of a load into an empty version ends it: nothing of it stays.
        if (m.kind !== 'batch') abandon();
        throw err;
      }
    },
  };
}

const opened = openDatabase(workerData.path as string).then((db) => {
  configureWriter(db);
  return { db, writer: threadWriter(db) };
});

parentPort!.on('message', (msg: WriteMessage) => {
  void opened
    .then(({ db, writer }) => {
      if (msg.kind === 'close') {
        writer.abandon();
        db.close();
        parentPort!.close();
        return;
      }
      const reply: WriteReply = { ok: true, created: writer.handle(msg) };
      parentPort!.postMessage(reply);
    })
    .catch((err: unknown) => {
      const e = err as Error & { code?: string };
      const reply: WriteReply = { ok: false, error: { message: e.message, code: e.code } };
      parentPort!.postMessage(reply);
    });
});
