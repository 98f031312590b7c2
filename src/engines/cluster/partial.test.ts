/**
 * Unit test of how a cluster answer that timed out or lost shards is reported (a single-node test cluster with one
 * shard per index cannot be made to time out honestly): `partial: true` and one warning in the log, never a
 * silent full-looking answer. The transport is scripted; everything above it is the real engine.
 */
import { describe, expect, it } from 'vitest';
import { buildSearchRequest, DEFAULT_LIMITS } from '../../query/request.js';
import { parseSchema } from '../../schema/validate.js';
import { FIXTURE_SCHEMA } from '../conformance/fixtures.js';
import { ClusterEngine } from './engine.js';
import type { ClusterRequest, ClusterTransport } from './transport.js';

const schema = parseSchema(FIXTURE_SCHEMA);

function engineAnswering(search: Record<string, unknown>) {
  const warnings: { obj: object; msg: string }[] = [];
  const transport = {
    product: 'opensearch' as const,
    async request(req: ClusterRequest) {
      if (req.method === 'GET' && req.path.endsWith('/_mapping')) {
        const meta = { index: 'pkgs', version: 1, schema, created_at: '', generation_base: 0 };
        return { status: 200, body: { 'pkgs-v1': { mappings: { _meta: { sift: meta } } } } };
      }
      return { status: 200, body: search };
    },
    openPointInTime: async () => '',
    closePointInTime: async () => undefined,
    close: async () => undefined,
  } as unknown as ClusterTransport;
  const engine = new ClusterEngine({
    transport,
    refresh: 'wait_for',
    bulk: { maxDocs: 10, maxBytes: 1000, concurrency: 1, retries: 0 },
    searchTimeoutMs: 1000,
    writeTimeoutMs: 1000,
    log: { warn: (obj, msg) => warnings.push({ obj, msg }) },
  });
  return { engine, warnings };
}

const hit = { _id: 'react', _score: 3, _source: { name: 'react' }, sort: [3, 'react'] };
const request = buildSearchRequest({ q: 'react' }, schema, DEFAULT_LIMITS).request;

describe('partial cluster answers', () => {
  it('marks a timed-out search partial and logs it', async () => {
    const { engine, warnings } = engineAnswering({
      timed_out: true,
      _shards: { total: 1, successful: 1, failed: 0 },
      hits: { total: { value: 1, relation: 'eq' }, hits: [hit] },
    });
    const res = await engine.search('pkgs', request);
    expect(res.partial).toBe(true);
    expect(res.hits.map((h) => h.id)).toEqual(['react']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/partial/);
  });

  it('marks a search with failed shards partial, and a clean one not', async () => {
    const failed = engineAnswering({
      timed_out: false,
      _shards: { total: 2, successful: 1, failed: 1, failures: [{ reason: 'node left' }] },
      hits: { total: { value: 1, relation: 'gte' }, hits: [hit] },
    });
    const res = await failed.engine.search('pkgs', request);
    expect(res).toMatchObject({ partial: true, total_relation: 'gte' });
    const clean = engineAnswering({
      timed_out: false,
      _shards: { total: 1, successful: 1, failed: 0 },
      hits: { total: { value: 1, relation: 'eq' }, hits: [hit] },
    });
    expect((await clean.engine.search('pkgs', request)).partial).toBe(false);
    expect(clean.warnings).toHaveLength(0);
  });
});
