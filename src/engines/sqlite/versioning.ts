import type Database from 'better-sqlite3';
import { SiftError, isSiftError } from '../../errors.js';
import { checkDocument, type Document } from '../../schema/document.js';
import { project } from '../../schema/paths.js';
import type { IndexSchema } from '../../schema/types.js';
import type { ReindexOptions, ReindexResult } from '../engine.js';
import { createIndexSql, createLogSql, docsTable, dropLogSql, dropVersionSql, logTable } from './ddl.js';
import { buildSteps, setAside } from './derived.js';
import { allocateTid, isStale, jobTokens, newJob, parseJob, type IndexRow, type Job } from './meta.js';
import { versionWriter, type VersionWriter } from './version-writer.js';

/**
 * Reindex and rollback of the embedded engine. Both are the same motion: bring a target version up to date with
 * the live one while writes go on, then point the name at the target in one transaction.
 *
 * - The live version's change log (ddl.ts, triggers) records every id written or deleted by any process.
 * - A reindex copies the live documents into a new table set in batches (each its own short transaction, so
 *   other writers wait at most one batch), then replays the log from where the copy began; a rollback only
 *   replays the log, which starts at the previous switch, onto the kept version.
 * - The switch transaction replays what is left, checks that both versions hold the same number of documents,
 *   and updates the meta row. While it runs no other write can happen, so nothing acknowledged is missed.
 */

/** Documents per replay batch (or copy batch with the derived structures in place): a few tens of ms of work. */
const BATCH = 500;
/**
 * Documents per copy batch into a new version whose derived structures are set aside (plain row inserts), and
 * per transaction when its text index is built afterwards: each about as long as a BATCH with them in place.
 */
const BULK_BATCH = 5000;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A document as the target schema stores it. Fields the target no longer declares are left out (the version
 * they came from keeps them); a value that does not fit its field fails the whole job with the document named.
 */
function fitter(target: IndexSchema, sameSchema: boolean, index: string, version: number) {
  return (id: string, src: string): Document => {
    const doc = JSON.parse(src) as Document;
    if (sameSchema) return doc;
    const declared = project(doc, Object.keys(target.fields));
    try {
      return checkDocument(target, declared, id).document;
    } catch (err) {
      if (!isSiftError(err)) throw err;
      const field = (err.details?.field as string | undefined) ?? null;
      throw new SiftError(
        'REINDEX_INCOMPATIBLE',
        `document "${id}" does not fit the schema of version ${version} of "${index}": ${err.message}; nothing was switched`,
        { index, id, field, version },
      );
    }
  };
}

interface Plan {
  name: string;
  job: Job;
  source: { tid: number; version: number };
  target: VersionWriter;
  fit: (id: string, src: string) => Document;
  /** Copy every live document first (reindex) or only replay the change log (rollback). */
  copy: boolean;
  /** After the copy and before the replay: the steps that build what the copy left out (derived.ts). */
  build?: () => Iterable<() => void>;
  /** Replay log entries after this sequence number. */
  fromSeq: number;
  onProgress?: ReindexOptions['onProgress'];
  /** Runs inside the switch transaction after the counts matched: the meta row update and the clean-up. */
  finish(row: IndexRow): void;
  /** Runs when the job fails, inside a transaction, while the job is still ours. */
  abandon(row: IndexRow): void;
}

export class Versioning {
  constructor(
    private readonly db: Database.Database,
    private readonly row: (name: string) => IndexRow | undefined,
    /**
     * The bulk load holding the connection, if any: its open transaction must not swallow a batch of ours. Waited
     * for right before each of our transactions, in the same turn of the event loop as the transaction.
     */
    private readonly loading: () => Promise<void> | null = () => null,
  ) {}

  private mustRow(name: string): IndexRow {
    const row = this.row(name);
    if (!row) throw new SiftError('INDEX_NOT_FOUND', `index "${name}" does not exist`, { index: name });
    return row;
  }

  /** Refuses when a live job holds the index; clears the leftovers of one whose process died. */
  checkNoJob(row: IndexRow): void {
    const job = parseJob(row);
    if (!job) return;
    if (!isStale(job)) {
      throw new SiftError(
        'REINDEX_IN_PROGRESS',
        `a ${job.kind} of "${row.name}" has been running since ${job.started_at}; retry when it has finished`,
        { index: row.name, kind: job.kind, started_at: job.started_at },
      );
    }
    this.cleanUp(row, job);
  }

  private cleanUp(row: IndexRow, job: Job): void {
    // A reindex leaves a half-built table set; a rollback leaves the kept version with some newer writes
    // replayed, which the next rollback replays again from the start, so it needs nothing.
    if (job.kind === 'reindex' && job.tid !== row.tid && job.tid !== row.prev_tid) {
      for (const sql of dropVersionSql(job.tid)) this.db.exec(sql);
    }
    // Without a kept version nothing needs the live version's change log any more.
    if (row.prev_tid === null) for (const sql of dropLogSql(row.tid)) this.db.exec(sql);
    this.db.prepare('UPDATE sift_indexes SET job = NULL WHERE name = ?').run(row.name);
  }

  async reindex(name: string, opts: ReindexOptions = {}): Promise<ReindexResult> {
    const db = this.db;
    const claim = db.transaction(() => {
      const row = this.mustRow(name);
      this.checkNoJob(row);
      const schema = opts.schema ?? (JSON.parse(row.schema) as IndexSchema);
      const tid = allocateTid(db);
      const version = Math.max(row.version, row.prev_version ?? 0) + 1;
      for (const sql of createIndexSql(tid, schema)) db.exec(sql);
      // The copy inserts plain rows; the indexes are built once it is done (the version is not live before).
      const aside = setAside(db, tid);
      // The log may exist already (it records writes since the last switch for a rollback); the copy replays
      // only what comes after this point.
      for (const sql of createLogSql(row.tid)) db.exec(sql);
      const fromSeq = db
        .prepare(`SELECT coalesce(max(seq), 0) FROM ${logTable(row.tid)}`)
        .pluck()
        .get() as number;
      const job = newJob('reindex', tid, version);
      db.prepare('UPDATE sift_indexes SET job = ? WHERE name = ?').run(JSON.stringify(job), name);
      return { row, schema, job, fromSeq, aside };
    });
    const { row, schema, job, fromSeq, aside } = claim.immediate();
    const sameSchema = JSON.stringify(schema) === row.schema;
    return this.run({
      name,
      job,
      source: { tid: row.tid, version: row.version },
      target: versionWriter(db, job.tid, schema),
      fit: fitter(schema, sameSchema, name, job.version),
      copy: true,
      build: () => buildSteps(db, aside, schema, { chunk: BULK_BATCH }),
      fromSeq,
      onProgress: opts.onProgress,
      finish: (now) => {
        // The version before the previous one goes; the one replaced now is kept, with nothing logging on it
        // (it receives no writes); the new live version logs its writes for a rollback.
        if (now.prev_tid !== null) for (const sql of dropVersionSql(now.prev_tid)) db.exec(sql);
        for (const sql of dropLogSql(now.tid)) db.exec(sql);
        for (const sql of createLogSql(job.tid)) db.exec(sql);
        db.prepare(
          `UPDATE sift_indexes SET tid = ?, schema = ?, version = ?, prev_tid = ?, prev_version = ?, prev_schema = ?,
             job = NULL, generation = generation + 1 WHERE name = ?`,
        ).run(job.tid, JSON.stringify(schema), job.version, now.tid, now.version, now.schema, name);
      },
      abandon: (now) => this.cleanUp(now, job),
    });
  }

  async rollback(name: string): Promise<ReindexResult> {
    const db = this.db;
    const claim = db.transaction(() => {
      const row = this.mustRow(name);
      this.checkNoJob(row);
      if (row.prev_tid === null || row.prev_version === null || row.prev_schema === null) {
        throw new SiftError(
          'NO_PREVIOUS_VERSION',
          `index "${name}" has no previous version to roll back to (version ${row.version} is the only one)`,
          { index: name, version: row.version },
        );
      }
      // Normally there since the switch; recreated here so a damaged database still rolls back what it can.
      for (const sql of createLogSql(row.tid)) db.exec(sql);
      const job = newJob('rollback', row.prev_tid, row.prev_version);
      db.prepare('UPDATE sift_indexes SET job = ? WHERE name = ?').run(JSON.stringify(job), name);
      return { row, job, prevSchema: row.prev_schema };
    });
    const { row, job, prevSchema } = claim.immediate();
    const schema = JSON.parse(prevSchema) as IndexSchema;
    return this.run({
      name,
      job,
      source: { tid: row.tid, version: row.version },
      target: versionWriter(db, job.tid, schema, prevSchema),
      fit: fitter(schema, prevSchema === row.schema, name, job.version),
      copy: false,
      fromSeq: 0,
      finish: (now) => {
        // The two versions swap roles: the one rolled back from is kept (a second rollback returns to it) and
        // the restored one logs its writes from now on.
        for (const sql of dropLogSql(now.tid)) db.exec(sql);
        for (const sql of createLogSql(job.tid)) db.exec(sql);
        db.prepare(
          `UPDATE sift_indexes SET tid = ?, schema = ?, version = ?, prev_tid = ?, prev_version = ?, prev_schema = ?,
             job = NULL, generation = generation + 1 WHERE name = ?`,
        ).run(job.tid, prevSchema, job.version, now.tid, now.version, now.schema, name);
      },
      abandon: (now) => {
        db.prepare('UPDATE sift_indexes SET job = NULL WHERE name = ?').run(now.name);
      },
    });
  }

  private async run(plan: Plan): Promise<ReindexResult> {
    const started = performance.now();
    const { db } = this;
    const { name, job, target, fit } = plan;
    const d = docsTable(plan.source.tid);
    const l = logTable(plan.source.tid);
    const sourceOf = db.prepare(`SELECT src FROM ${d} WHERE id = ?`).pluck();
    const countOf = (tid: number) =>
      db
        .prepare(`SELECT count(*) FROM ${docsTable(tid)}`)
        .pluck()
        .get() as number;
    const heartbeat = db.prepare(
      `UPDATE sift_indexes SET job = json_set(job, '$.heartbeat', ?) WHERE name = ?`,
    );

    /** The meta row, as long as this job still holds it (a drop or a takeover ends the job). */
    const ours = (): IndexRow => {
      const row = this.row(name);
      if (!row) throw new SiftError('INDEX_NOT_FOUND', `index "${name}" was dropped during the ${job.kind}`);
      if (parseJob(row)?.token !== job.token)
        throw new SiftError(
          'REINDEX_IN_PROGRESS',
          `the ${job.kind} of "${name}" was taken over by another process`,
          {
            index: name,
          },
        );
      heartbeat.run(Date.now(), name);
      return row;
    };

    let cursor = plan.fromSeq;
    const replay = (limit: number): number => {
      const rows = db
        .prepare(`SELECT seq, id FROM ${l} WHERE seq > ? ORDER BY seq LIMIT ?`)
        .all(cursor, limit) as { seq: number; id: string }[];
      for (const { seq, id } of rows) {
        const src = sourceOf.get(id) as string | undefined;
        if (src === undefined) target.remove(id);
        else target.upsert(fit(id, src));
        cursor = seq;
      }
      return rows.length;
    };

    jobTokens.add(job.token);
    try {
      const total = countOf(plan.source.tid);
      if (plan.copy) {
        const copyBatchSize = plan.build ? BULK_BATCH : BATCH;
        const batch = db.prepare(
          `SELECT rowid AS r, id, src FROM ${d} WHERE rowid > ? ORDER BY rowid LIMIT ?`,
        );
        let after = 0;
        let copied = 0;
        const copyBatch = db.transaction(() => {
          ours();
          const rows = batch.all(after, copyBatchSize) as { r: number; id: string; src: string }[];
          for (const { r, id, src } of rows) {
            target.upsert(fit(id, src));
            after = r;
          }
          return rows.length;
        });
        plan.onProgress?.({ copied: 0, total });
        for (;;) {
          for (let p = this.loading(); p; p = this.loading()) await p;
          const n = copyBatch.immediate();
          copied += n;
          plan.onProgress?.({ copied: Math.min(copied, total), total });
          if (n < copyBatchSize) break;
          await yieldToEventLoop();
        }
      }
      if (plan.build) {
        // Each step its own transaction: other writers wait at most one step, never the whole build.
        for (const step of plan.build()) {
          for (let p = this.loading(); p; p = this.loading()) await p;
          db.transaction(() => {
            ours();
            step();
          }).immediate();
          await yieldToEventLoop();
        }
      }
      // Catch up with the writes made meanwhile, batch by batch, until what is left fits one batch.
      const replayBatch = db.transaction(() => {
        ours();
        return replay(BATCH);
      });
      for (;;) {
        for (let p = this.loading(); p; p = this.loading()) await p;
        if (replayBatch.immediate() < BATCH) break;
        await yieldToEventLoop();
      }

      for (let p = this.loading(); p; p = this.loading()) await p;
      const documents = db
        .transaction(() => {
          const row = ours();
          while (replay(BATCH) > 0);
          const live = countOf(plan.source.tid);
          const built = countOf(target.tid);
          if (live !== built) {
            throw new SiftError(
              'INTERNAL',
              `${job.kind} of "${name}" stopped: version ${job.version} holds ${built} documents but the live version ${plan.source.version} holds ${live}; nothing was switched`,
            );
          }
          plan.finish(row);
          return built;
        })
        .immediate();
      plan.onProgress?.({ copied: documents, total: documents });
      return {
        index: name,
        from_version: plan.source.version,
        to_version: job.version,
        documents,
        took_ms: Math.round(performance.now() - started),
      };
    } catch (err) {
      for (let p = this.loading(); p; p = this.loading()) await p;
      try {
        db.transaction(() => {
          const row = this.row(name);
          if (row && parseJob(row)?.token === job.token) plan.abandon(row);
        }).immediate();
      } catch {
        // The database refused the clean-up (busy for longer than the timeout): the job is recognised as
        // abandoned by the next reindex or rollback, which cleans up then.
      }
      throw err;
    } finally {
      jobTokens.delete(job.token);
    }
  }
}
