/**
 * How a cluster's refusal becomes a catalogue error: the code comes from the status and the cluster's error type,
 * and the cluster's own answer (or the client's failure) stays on the error as its cause.
 */
import { describe, expect, it } from 'vitest';
import { SiftError } from '../../errors.js';
import { checkAnswer } from './answers.js';
import { answerOrUnavailable } from './transport.js';

const refusal = (status: number, type: string, reason: string) => ({
  status,
  body: { error: { type, reason, root_cause: [{ type, reason }] }, status },
});

function thrown(fn: () => unknown): SiftError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SiftError);
    return err as SiftError;
  }
  throw new Error('nothing was thrown');
}

describe('cluster answers', () => {
  it('passes an answer through', () => {
    const ok = { status: 200, body: { acknowledged: true } };
    expect(checkAnswer('opensearch', ok, 'create index')).toBe(ok);
  });

  it('a missing index is INDEX_NOT_FOUND, with the answer as the cause', () => {
    const res = refusal(404, 'index_not_found_exception', 'no such index [books]');
    const err = thrown(() => checkAnswer('opensearch', res, 'search', 'books'));
    expect(err).toMatchObject({ code: 'INDEX_NOT_FOUND', details: { index: 'books' } });
    expect(err.cause).toEqual({ status: 404, body: res.body });
  });

  it('an overloaded or failing cluster is ENGINE_UNAVAILABLE with Retry-After', () => {
    for (const status of [429, 500, 503]) {
      const res = refusal(status, 'es_rejected_execution_exception', 'queue full');
      const err = thrown(() => checkAnswer('elasticsearch', res, 'search', 'books'));
      expect(err).toMatchObject({ code: 'ENGINE_UNAVAILABLE', details: { retry_after: 5 } });
      expect(err.message).toContain('queue full');
      expect(err.cause).toEqual({ status, body: res.body });
    }
  });

  it('any other refusal is INTERNAL (a request Sift should not have sent), its reason kept', () => {
    const res = refusal(400, 'parsing_exception', 'unknown query [x]');
    const err = thrown(() => checkAnswer('opensearch', res, 'search', 'books'));
    expect(err).toMatchObject({ code: 'INTERNAL', status: 500 });
    expect(err.message).toContain('unknown query [x]');
    expect(err.cause).toEqual({ status: 400, body: res.body });
  });

  it("a client's failure to reach the cluster keeps the client's error as the cause", () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { name: 'ConnectionError' });
    const down = thrown(() => answerOrUnavailable('opensearch', refused));
    expect(down).toMatchObject({ code: 'ENGINE_UNAVAILABLE' });
    expect(down.cause).toBe(refused);
    const slow = Object.assign(new Error('Request timed out'), { name: 'TimeoutError' });
    const late = thrown(() => answerOrUnavailable('opensearch', slow));
    expect(late).toMatchObject({ code: 'ENGINE_TIMEOUT' });
    expect(late.cause).toBe(slow);
  });
});
