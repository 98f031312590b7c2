import { project } from '../../schema/paths.js';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { SiftError } from '../../errors.js';
import { checkDocument } from '../../schema/document.js';
import type { ReindexOptions, ReindexResult } from '../engine.js';
import { runBulk, type BulkOp, type BulkOptions } from './bulk.js';
import type { IndexCatalogue } from './catalogue.js';
import { docId, ID_PATH, toSource, type IndexMeta } from './mapping.js';
import { MARKER_CACHE_MS, STALE_AFTER_MS, type Marker, type ReindexMarkers } from './system.js';

/**
 * Reindex on a cluster, in the order that keeps every acknowledged write:
 *  1. create `<name>-v<N+1>` with the new schema (not yet behind the alias);
 *  2. write the marker (state copying) in the system index; from now on every writer, in any process, replays
 *     its writes onto the new version after they land in the old one (external version = old sequence number + 1);
 *  3. wait MARKER_CACHE_MS (writers may rely on a marker read that long ago), then refresh the old version and
 *     open a point in time on it: every write acknowledged before the marker is in
 *     that view, every later one is replayed by its writer;
 *  4. copy the view in id order with the same external versions, so a copy never overwrites a newer replay;
 *  5. re-apply the deletes recorded during the copy (a copy may have re-created a document deleted meanwhile);
 *  6. compare the counts of both versions until they agree (in-flight replays settle within a request or two);
 *  7. switch the alias in one `_aliases` call and mark the reindex done; the old version stays for rollback.
 */
const COPY_PAGE = 1000;

interface CopyPage {
  pit_id?: string;
  hits: { hits: { _id: string; _seq_no: number; _source: Record<string, unknown>; sort: unknown[] }[] };
}
const KEEP_ALIVE = '5m';

/** What a reindex works with: the catalogue of versions, the markers every writer reads, the copy's bulk policy. */
export interface ReindexContext {
  catalogue: IndexCatalogue;
  markers: ReindexMarkers;
  /** Bulk limits of the copy; it never waits for a refresh. */
  bulk: Omit<BulkOptions, 'refresh'>;
  /** Indexes this process is reindexing right now. */
  reindexing: Set<string>;
}
/** How long counts may disagree while in-flight replays settle before the reindex gives up. */
const SETTLE_MS = 15_000;

export async function copyAndSwitch(
  ctx: ReindexContext,
  name: string,
  opts: ReindexOptions,
): Promise<ReindexResult> {
  // A second reindex from this process is refused at once; other processes are refused by the marker below.
  if (ctx.reindexing.has(name)) {
    throw new SiftError('REINDEX_IN_PROGRESS', `a reindex of "${name}" is already running`, { index: name });
  }
  ctx.reindexing.add(name);
  try {
    return await copy(ctx, name, opts);
  } finally {
    ctx.reindexing.delete(name);
  }
}

async function copy(ctx: ReindexContext, name: string, opts: ReindexOptions): Promise<ReindexResult> {
  const started = performance.now();
  const { catalogue } = ctx;
  const t = catalogue.transport;
  const current = await catalogue.require(name);
  const schema = opts.schema ?? current.meta.schema;
  const versions = await catalogue.versions(name);
  const toVersion = Math.max(current.meta.version, ...versions.keys()) + 1;
  const generation = await catalogue.generation(name);
  const meta: IndexMeta = {
    index: name,
    version: toVersion,
    schema,
    created_at: current.meta.created_at,
    generation_base: generation + 1,
    previous_version: current.meta.version,
  };
  const marker: Marker = {
    index: name,
    state: 'copying',
    from: current.physical,
    to: catalogue.names.physical(name, toVersion),
    from_version: current.meta.version,
    to_version: toVersion,
    from_schema: current.meta.schema,
    to_schema: schema,
    started_at: new Date().toISOString(),
    heartbeat_at: new Date().toISOString(),
    owner: `${hostname()}:${process.pid}`,
  };
  const claimed = await ctx.markers.claim(marker, async (stale) => {
    await ctx.markers.clearDeletes(stale.to).catch(() => undefined);
    await t.request({ method: 'DELETE', path: `/${encodeURIComponent(stale.to)}` });
  });
  if (!claimed) {
    throw new SiftError('REINDEX_IN_PROGRESS', `a reindex of "${name}" is already running`, { index: name });
  }
  let pit: string | null = null;
  try {
    await catalogue.createVersion(name, schema, meta, false);
    // Tombstones of replayed deletes must outlive the copy, or an older copied version could resurrect a document.
    await t.request({
      method: 'PUT',
      path: `/${encodeURIComponent(marker.to)}/_settings`,
      body: { index: { gc_deletes: '6h' } },
    });
    // Writers rely on a marker read up to MARKER_CACHE_MS ago: one that read "no reindex" just before the claim
    // may write to the old version without replaying. Once this has passed, every such write has landed, so the
    // view below holds it; every later write reads the marker and replays.
    await sleep(MARKER_CACHE_MS + 100);
    catalogue.check(
      await t.request({ method: 'POST', path: `/${encodeURIComponent(marker.from)}/_refresh` }),
      'refresh',
      name,
    );
    pit = await t.openPointInTime(marker.from, KEEP_ALIVE);
    const total = catalogue.check(
      await t.request<{ hits: { total: { value: number } } }>({
        method: 'POST',
        path: '/_search',
        body: { size: 0, track_total_hits: true, pit: { id: pit, keep_alive: KEEP_ALIVE } },
      }),
      'count',
      name,
    ).body.hits.total.value;
    let copied = 0;
    let beat = Date.now();
    let after: unknown[] | undefined;
    opts.onProgress?.({ copied, total });
    for (;;) {
      const page: CopyPage = catalogue.check(
        await t.request<CopyPage>({
          method: 'POST',
          path: '/_search',
          body: {
            size: COPY_PAGE,
            pit: { id: pit!, keep_alive: KEEP_ALIVE },
            sort: [{ [ID_PATH]: 'asc' }],
            seq_no_primary_term: true,
            track_total_hits: false,
            ...(after ? { search_after: after } : {}),
          },
        }),
        'copy',
        name,
      ).body;
      if (page.pit_id) pit = page.pit_id;
      const hits = page.hits.hits;
      if (!hits.length) break;
      const ops: BulkOp[] = hits.map((h) => {
        const sourceId = String(h._source[current.meta.schema.id_field] ?? h._id);
        // Fields the new schema no longer declares are left behind; a value of the wrong type stops the reindex.
        const projected = project(h._source, Object.keys(schema.fields));
        let doc;
        try {
          doc = checkDocument(schema, projected, sourceId);
        } catch (err) {
          const field = err instanceof SiftError ? err.details?.field : undefined;
          throw new SiftError(
            'REINDEX_INCOMPATIBLE',
            `document "${sourceId}" does not fit the new schema: ${(err as Error).message}`,
            { index: name, id: sourceId, ...(field ? { field } : {}) },
            { cause: err },
          );
        }
        return {
          action: 'index',
          index: marker.to,
          id: docId(doc.id),
          source: toSource(schema, doc.id, doc.document),
          version: h._seq_no + 1,
        };
      });
      const results = await runBulk(t, ops, { ...ctx.bulk, refresh: 'false' });
      results.forEach((r, i) => {
        if (r.ok || r.error?.type === 'version_conflict_engine_exception') return;
        throw new SiftError(
          r.error?.code === 'ENGINE_UNAVAILABLE' ? 'ENGINE_UNAVAILABLE' : 'REINDEX_INCOMPATIBLE',
          `copying document "${ops[i]!.id}" failed: ${r.error?.message ?? r.status}`,
          { index: name, id: ops[i]!.id },
        );
      });
      copied += hits.length;
      opts.onProgress?.({ copied, total });
      if (Date.now() - beat > STALE_AFTER_MS / 4) {
        beat = Date.now();
        await ctx.markers.update({ ...marker, heartbeat_at: new Date(beat).toISOString() });
      }
      after = hits.at(-1)!.sort;
    }
    await t.closePointInTime(pit!).catch(() => undefined);
    pit = null;

    const deletes = await ctx.markers.deletesFor(marker.to);
    if (deletes.length) {
      await runBulk(
        t,
        deletes.map((d) => ({ action: 'delete', index: marker.to, id: d.id, version: d.version })),
        { ...ctx.bulk, refresh: 'false' },
      );
    }

    const documents = await settledCount(catalogue, name, marker);
    await catalogue.switchAlias(name, marker.from, marker.to);
    await ctx.markers.update({ ...marker, state: 'done' });
    await t.request({
      method: 'PUT',
      path: `/${encodeURIComponent(marker.to)}/_settings`,
      body: { index: { gc_deletes: '60s' } },
    });
    return {
      index: name,
      from_version: marker.from_version,
      to_version: toVersion,
      documents,
      took_ms: Math.round(performance.now() - started),
    };
  } catch (err) {
    // Nothing switched: drop the half-built version and the marker, so writers stop replaying.
    if (pit) await t.closePointInTime(pit).catch(() => undefined);
    await ctx.markers.clear(name, marker.to).catch(() => undefined);
    // Writers that still rely on the marker they read keep replaying to the new version for MARKER_CACHE_MS.
    await sleep(MARKER_CACHE_MS + 100);
    await t.request({ method: 'DELETE', path: `/${encodeURIComponent(marker.to)}` }).catch(() => undefined);
    throw err;
  }
}

async function countOf(
  catalogue: IndexCatalogue,
  index: string,
  name: string,
  refresh: boolean,
): Promise<number> {
  const t = catalogue.transport;
  if (refresh) {
    catalogue.check(
      await t.request({ method: 'POST', path: `/${encodeURIComponent(index)}/_refresh` }),
      'refresh',
      name,
    );
  }
  return catalogue.check(
    await t.request<{ count: number }>({ method: 'GET', path: `/${encodeURIComponent(index)}/_count` }),
    'count',
    name,
  ).body.count;
}

/**
 * Both versions hold the same number of documents, once in-flight replays have landed; else the reindex fails.
 *
 * Only the new version is refreshed here (the copy wrote it without refreshing). Refreshing the old one would
 * make every write waiting there for a refresh visible at once, and each of those writers then replays to the new
 * version: a refresh of the old version per count opened the very gap the counts wait to see closed, and under
 * steady writes they never agreed within SETTLE_MS. Left to its own refreshes, the old version changes once a
 * refresh interval, and its writers' replays (refreshed at once) follow within a round trip.
 */
async function settledCount(catalogue: IndexCatalogue, name: string, marker: Marker): Promise<number> {
  const deadline = Date.now() + SETTLE_MS;
  let last = { from: -1, to: -1 };
  while (Date.now() < deadline) {
    const to = await countOf(catalogue, marker.to, name, true);
    const from = await countOf(catalogue, marker.from, name, false);
    // Counted new-then-old: a write between the two counts can only make the old one larger, never hide a loss.
    if (from === to && (await countOf(catalogue, marker.to, name, true)) === to) return to;
    last = { from, to };
    await sleep(100);
  }
  throw new SiftError(
    'ENGINE_UNAVAILABLE',
    `reindex of "${name}" stopped before switching: the new version holds ${last.to} documents, the old ${last.from}`,
    { index: name, retry_after: 5 },
  );
}

/** Points the name back at the version the last reindex replaced. */
export async function switchBack(ctx: ReindexContext, name: string): Promise<ReindexResult> {
  const started = performance.now();
  const { catalogue } = ctx;
  const t = catalogue.transport;
  const current = await catalogue.require(name);
  const previous = current.meta.previous_version ?? null;
  const versions = await catalogue.versions(name);
  if (previous === null || !versions.has(previous)) {
    throw new SiftError('NO_PREVIOUS_VERSION', `index "${name}" has no previous version to roll back to`, {
      index: name,
    });
  }
  const marker = await ctx.markers.get(name);
  if (marker?.state === 'copying') {
    throw new SiftError('REINDEX_IN_PROGRESS', `a reindex of "${name}" is running`, { index: name });
  }
  const target = versions.get(previous)!;
  const generation = await catalogue.generation(name);
  const meta = await catalogue.metaOf(target);
  if (!meta) throw new SiftError('INTERNAL', `version ${previous} of "${name}" has no Sift metadata`);
  // The restored version answers with a generation above everything served so far, so caches move on; and it
  // remembers the version it replaced, so a second rollback returns to it.
  catalogue.check(
    await t.request({
      method: 'PUT',
      path: `/${encodeURIComponent(target)}/_mapping`,
      body: {
        _meta: { sift: { ...meta, generation_base: generation + 1, previous_version: current.meta.version } },
      },
    }),
    'update mapping',
    name,
  );
  // From now on writes landing in the restored version are carried to the one being left (and late writes that
  // still land there are carried back), so rolling back again loses nothing either.
  await ctx.markers.update({
    index: name,
    state: 'done',
    from: current.physical,
    to: target,
    from_version: current.meta.version,
    to_version: previous,
    from_schema: current.meta.schema,
    to_schema: meta.schema,
    started_at: new Date().toISOString(),
    owner: `${hostname()}:${process.pid}`,
  });
  // Carried writes are sent without waiting for a refresh; make them searchable before the name points here.
  catalogue.check(
    await t.request({ method: 'POST', path: `/${encodeURIComponent(target)}/_refresh` }),
    'refresh',
    name,
  );
  await catalogue.switchAlias(name, current.physical, target);
  const count = catalogue.check(
    await t.request<{ count: number }>({ method: 'GET', path: `/${encodeURIComponent(target)}/_count` }),
    'count',
    name,
  ).body.count;
  return {
    index: name,
    from_version: current.meta.version,
    to_version: previous,
    documents: count,
    took_ms: Math.round(performance.now() - started),
  };
}
