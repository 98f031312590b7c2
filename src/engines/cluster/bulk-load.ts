import type { BulkItem, BulkItemResult, BulkLoadHooks, BulkLoadMode } from '../engine.js';
import { writeInPieces, type PipelineOptions } from './load-pipeline.js';
import type { ClusterTransport } from './transport.js';

/**
 * The cluster engines' import path (Engine.bulkLoad). Each batch is written as a bulk write (durable when the
 * cluster acknowledges it, as every write), without waiting for a refresh per request: the load refreshes once at
 * the end. Batches go out as one continuous stream of bulk requests (load-pipeline.ts): the next batch is
 * validated while this one's last requests are in the cluster, and the last occurrence of an id wins as it would
 * one write at a time.
 *
 * A load into an empty index ends with a force-merge. Bulk writes leave a version in tens of segments, and every
 * search visits each one: on the npm corpus (227k documents, 18 segments) merging cut Elasticsearch's own time per
 * search by a third (6.7 to 4.4 ms mean over 300 real queries). Only an index just built is merged: merging one that
 * takes writes all along fights the cluster's merge policy, and a merged segment over ~5 GB is left alone by that
 * policy until it is mostly deletions, so the target is one segment per 5 GB of a shard.
 */
export interface ClusterLoadContext {
  transport: ClusterTransport;
  /** The index's alias (the live version). */
  alias: string;
  /**
   * Translates one piece now and returns its write through the engine's write path (reindex carry-over included),
   * without a refresh wait.
   */
  prepare(items: BulkItem[]): Promise<() => Promise<BulkItemResult[]>>;
  /** Documents per piece and pieces in flight: the engine's bulk request size and concurrency. */
  pipeline: PipelineOptions;
  /** Merge after a load into an empty index. */
  mergeAfterLoad: boolean;
  /** Longest the merge is waited for; it goes on in the cluster past that. */
  mergeTimeoutMs: number;
  log?: { warn(obj: object, msg: string): void };
}

/** Largest segment the merge aims for: the size above which the cluster's merge policy stops merging a segment. */
export const MERGED_SEGMENT_BYTES = 5 * 1024 ** 3;

export async function loadIntoCluster(
  ctx: ClusterLoadContext,
  batches: AsyncIterable<BulkItem[]>,
  hooks: BulkLoadHooks,
): Promise<BulkLoadMode> {
  const wasEmpty = ctx.mergeAfterLoad && (await documentCount(ctx)) === 0;
  let durable = 0;
  await writeInPieces(batches, ctx.prepare, ctx.pipeline, (results) => {
    hooks.written(results);
    for (const r of results) if (!r.error) durable++;
    hooks.durable(durable);
  });
  await refresh(ctx);
  if (wasEmpty && durable > 0) await merge(ctx);
  return 'batches';
}

async function documentCount(ctx: ClusterLoadContext): Promise<number | null> {
  const res = await ctx.transport.request<{ count?: number }>({
    method: 'GET',
    path: `/${encodeURIComponent(ctx.alias)}/_count`,
  });
  return res.status === 200 && typeof res.body.count === 'number' ? res.body.count : null;
}

async function refresh(ctx: ClusterLoadContext): Promise<void> {
  await ctx.transport.request({ method: 'POST', path: `/${encodeURIComponent(ctx.alias)}/_refresh` });
}

/** Segments per shard for a merge: one per MERGED_SEGMENT_BYTES of the shard's primary store. */
export function mergeTarget(primaryBytes: number, shards: number): number {
  return Math.max(1, Math.ceil(primaryBytes / Math.max(1, shards) / MERGED_SEGMENT_BYTES));
}

/**
 * Starts the merge as a task and waits for it within mergeTimeoutMs. A merge that fails or outlasts the wait is
 * reported, not thrown: every document is stored and searchable already; only the search speed-up is at stake.
 */
async function merge(ctx: ClusterLoadContext): Promise<void> {
  const index = encodeURIComponent(ctx.alias);
  try {
    const stats = await ctx.transport.request<{
      _all?: { primaries?: { store?: { size_in_bytes?: number } } };
      _shards?: { total?: number };
    }>({ method: 'GET', path: `/${index}/_stats/store` });
    const settings = await ctx.transport.request<
      Record<string, { settings?: { index?: { number_of_shards?: string } } }>
    >({ method: 'GET', path: `/${index}/_settings/index.number_of_shards` });
    const shards = Number(Object.values(settings.body)[0]?.settings?.index?.number_of_shards ?? 1);
    const segments = mergeTarget(stats.body._all?.primaries?.store?.size_in_bytes ?? 0, shards);
    const started = await ctx.transport.request<{ task?: string }>({
      method: 'POST',
      path: `/${index}/_forcemerge`,
      querystring: { max_num_segments: segments, wait_for_completion: false },
    });
    if (started.status >= 300 || !started.body.task) {
      ctx.log?.warn({ index: ctx.alias, status: started.status }, 'the merge after the load did not start');
      return;
    }
    const done = await ctx.transport.request<{ completed?: boolean }>(
      {
        method: 'GET',
        path: `/_tasks/${encodeURIComponent(started.body.task)}`,
        querystring: { wait_for_completion: true, timeout: `${ctx.mergeTimeoutMs}ms` },
      },
      { timeoutMs: ctx.mergeTimeoutMs + 10_000 },
    );
    if (!done.body.completed) {
      ctx.log?.warn(
        { index: ctx.alias, task: started.body.task },
        'the merge after the load goes on in the cluster',
      );
      return;
    }
    // Searches read the merged segment from the next refresh on; until then they still visit the old ones.
    await refresh(ctx);
  } catch (err) {
    ctx.log?.warn({ index: ctx.alias, error: (err as Error).message }, 'the merge after the load failed');
  }
}
