import { describe, expect, it } from 'vitest';
import { failedShards, judge, persistent, resendable, roundPauseMs } from './retry-decision.js';

const search = { method: 'POST', path: '/books/_search' };
const bulk = { method: 'POST', path: '/_bulk' };
const createIndex = { method: 'PUT', path: '/books-v1' };

describe('resendable', () => {
  it('allows reads, searches, refreshes and bulk writes by id; not index, alias or settings changes', () => {
    expect(resendable('GET', '/_cluster/health')).toBe(true);
    expect(resendable('HEAD', '/')).toBe(true);
    expect(resendable('POST', '/books/_search')).toBe(true);
    expect(resendable('POST', '/books/_count')).toBe(true);
    expect(resendable('POST', '/_bulk')).toBe(true);
    expect(resendable('PUT', '/books-v1')).toBe(false);
    expect(resendable('POST', '/_aliases')).toBe(false);
    expect(resendable('PUT', '/books-v1/_settings')).toBe(false);
    expect(resendable('POST', '/books/_search/point_in_time')).toBe(false);
    expect(resendable('DELETE', '/books-v1')).toBe(false);
  });

  it('retries reads until the deadline, not writes', () => {
    expect(persistent('GET', '/books/_doc/1')).toBe(true);
    expect(persistent('POST', '/books/_search')).toBe(true);
    expect(persistent('POST', '/_mget')).toBe(true);
    expect(persistent('POST', '/_bulk')).toBe(false);
    expect(persistent('POST', '/books/_refresh')).toBe(false);
  });
});

describe('judge', () => {
  it('moves any request off a node that refused (it never left), and suspects the node', () => {
    expect(judge({ kind: 'refused' }, createIndex)).toMatchObject({ retry: true, suspect: true });
    expect(judge({ kind: 'refused' }, search)).toMatchObject({ retry: true, suspect: true });
  });

  it('resends after a timeout or a lost connection only what is safe twice; the node is suspect either way', () => {
    for (const kind of ['timeout', 'lost'] as const) {
      expect(judge({ kind }, search)).toMatchObject({ retry: true, suspect: true });
      expect(judge({ kind }, bulk)).toMatchObject({ retry: true, suspect: true });
      expect(judge({ kind }, createIndex)).toMatchObject({ retry: false, suspect: true });
    }
  });

  it('retries "not now" answers on another node without suspecting a node that answered 503 or 429', () => {
    const allShardsFailed = {
      error: { type: 'search_phase_execution_exception', reason: 'all shards failed' },
      status: 503,
    };
    expect(judge({ kind: 'answer', status: 503, body: allShardsFailed }, search)).toEqual({
      retry: true,
      suspect: false,
      cause: 'status 503',
    });
    expect(judge({ kind: 'answer', status: 429, body: {} }, search)).toMatchObject({
      retry: true,
      suspect: false,
    });
    // A gateway saying its node is gone: the URL is as good as down.
    expect(judge({ kind: 'answer', status: 502, body: '' }, search)).toMatchObject({
      retry: true,
      suspect: true,
    });
    expect(judge({ kind: 'answer', status: 504, body: '' }, search)).toMatchObject({
      retry: true,
      suspect: true,
    });
    // An index creation answered 503 may have been applied: answered as it is.
    expect(judge({ kind: 'answer', status: 503, body: {} }, createIndex)).toMatchObject({ retry: false });
  });

  it('retries a 500 only when the cluster says a node it needed is gone', () => {
    const gone = {
      error: {
        type: 'search_phase_execution_exception',
        root_cause: [{ type: 'node_disconnected_exception' }],
      },
    };
    expect(judge({ kind: 'answer', status: 500, body: gone }, search)).toEqual({
      retry: true,
      suspect: false,
      cause: 'node_disconnected_exception',
    });
    const bug = { error: { type: 'illegal_state_exception', reason: 'a bug' } };
    expect(judge({ kind: 'answer', status: 500, body: bug }, search)).toMatchObject({ retry: false });
    expect(judge({ kind: 'answer', status: 400, body: {} }, search)).toMatchObject({ retry: false });
    expect(judge({ kind: 'answer', status: 404, body: {} }, search)).toMatchObject({ retry: false });
  });

  it('retries a search answered with failed shards, never one that only timed out', () => {
    const partial = { _shards: { total: 2, successful: 1, failed: 1 }, hits: { hits: [] } };
    expect(judge({ kind: 'answer', status: 200, body: partial }, search)).toMatchObject({
      retry: true,
      suspect: false,
      cause: 'shards failed',
    });
    const slow = { timed_out: true, _shards: { total: 2, successful: 1, failed: 1 } };
    expect(judge({ kind: 'answer', status: 200, body: slow }, search)).toMatchObject({ retry: false });
    const clean = { _shards: { total: 1, successful: 1, failed: 0 } };
    expect(judge({ kind: 'answer', status: 200, body: clean }, search)).toMatchObject({ retry: false });
    // Only searches and counts carry shard counts worth judging.
    expect(failedShards('/_bulk', partial)).toBe(false);
    expect(failedShards('/books/_count', partial)).toBe(true);
  });
});

describe('roundPauseMs', () => {
  it('starts at once, then doubles from 100 ms up to 1 s', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map(roundPauseMs)).toEqual([0, 100, 200, 400, 800, 1000, 1000]);
  });
});
