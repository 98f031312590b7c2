import { project } from '../../schema/paths.js';
import { checkDocument } from '../../schema/document.js';
import { opSource, runBulk, type BulkOp, type BulkOptions, type BulkOutcome } from './bulk.js';
import { toSource } from './mapping.js';
import type { Marker, ReindexMarkers } from './system.js';
import type { ClusterTransport } from './transport.js';

/** What carrying writes between the versions of a reindex needs. */
export interface ReplayContext {
  transport: ClusterTransport;
  markers: ReindexMarkers;
  log?: { warn(obj: object, msg: string): void } | undefined;
}

/**
 * Carries writes between the two versions of a reindex (see reindex.ts for the whole protocol). A write that landed
 * in `from` goes to `to`: while the copy runs with the old version's sequence number + 1 as external version (so
 * the copy and the replay cannot overwrite each other's newer data), afterwards as a plain write. A write that
 * landed in `to` (the alias switched) goes back to `from`, projected onto its schema, so a rollback keeps it.
 * `policy` is the bulk policy of the write being carried.
 */
export async function replayWrites(
  ctx: ReplayContext,
  name: string,
  marker: Marker,
  ops: BulkOp[],
  outcomes: BulkOutcome[],
  policy: BulkOptions,
): Promise<void> {
  const replays: BulkOp[] = [];
  const deletes: { id: string; seq: number }[] = [];
  ops.forEach((op, i) => {
    const o = outcomes[i]!;
    if (!o.ok || o.seqNo === undefined) return;
    const forward = o.index === marker.from;
    if (!forward && o.index !== marker.to) return;
    const target = forward ? marker.to : marker.from;
    const schema = forward ? marker.to_schema : marker.from_schema;
    const version = forward && marker.state === 'copying' ? o.seqNo + 1 : undefined;
    if (op.action === 'delete') {
      replays.push({ action: 'delete', index: target, id: op.id, ...(version ? { version } : {}) });
      if (version) deletes.push({ id: op.id, seq: version });
      return;
    }
    const doc = project(opSource(op) ?? {}, Object.keys(schema.fields));
    let checked;
    try {
      checked = checkDocument(schema, doc);
    } catch (err) {
      ctx.log?.warn(
        { index: name, id: op.id, target, error: (err as Error).message },
        'a write does not fit the schema of the other version of a reindex; not carried over',
      );
      return;
    }
    replays.push({
      action: 'index',
      index: target,
      id: op.id,
      source: toSource(schema, checked.id, checked.document),
      ...(version ? { version } : {}),
    });
  });
  if (!replays.length) return;
  if (deletes.length) await ctx.markers.recordDeletes(name, marker, deletes);
  // A write that waits to be searchable makes its replay searchable too, so it is visible in whichever version
  // serves next; the replay refreshes at once (one shard, only while a reindex is under way or a previous
  // version is kept) rather than adding a second wait for the periodic refresh to the write's latency.
  const results = await runBulk(ctx.transport, replays, {
    ...policy,
    refresh: policy.refresh === 'false' ? 'false' : 'true',
  });
  results.forEach((r, i) => {
    // A version conflict means a newer write (or the copy of it) is there already: nothing to do.
    if (!r.ok && r.error?.type !== 'version_conflict_engine_exception' && r.status !== 404) {
      ctx.log?.warn(
        { index: name, id: replays[i]!.id, error: r.error },
        'a write made during a reindex could not be carried to the other version',
      );
    }
  });
}
