import { describe, expect, it } from 'vitest';
import { isSiftError } from '../../errors.js';
import { parseMetricCheck } from './check-spec.js';
import { metricCheck } from './prometheus.js';

const source = { url: 'http://127.0.0.1:9090' };

describe('metric checks from the steps file', () => {
  it('reads a complete check and builds it', () => {
    const check = parseMetricCheck(
      {
        name: 'search 5xx',
        query: 'sum(rate(http_requests_total{color="{color}",route="{route}",status=~"5.."}[{window}]))',
        comparator: '<',
        threshold: 0.5,
        unit: 'req/s',
        allowNoData: true,
        window: '2m',
        vars: { route: '/api/search' },
      },
      'checks[0]',
    );
    expect(metricCheck(source, check).name).toBe('search 5xx');
  });

  it('names every problem, including misspelt and missing keys, with DEPLOY_INVALID', () => {
    let err: unknown;
    try {
      parseMetricCheck({ name: 'x', query: 'up', comparator: '=<', treshold: 1 }, 'steps file, checks[2]');
    } catch (e) {
      err = e;
    }
    expect(isSiftError(err) && err.code).toBe('DEPLOY_INVALID');
    const message = (err as Error).message;
    expect(message).toMatch(/^steps file, checks\[2\]: /);
    for (const part of ['comparator', 'threshold', 'treshold']) expect(message).toContain(part);
  });

  it('leaves template and window checks to the builder, which refuses them with DEPLOY_INVALID', () => {
    const check = parseMetricCheck(
      { name: 'x', query: 'up{color="{colour}"}', comparator: '==', threshold: 1, window: '1 minute' },
      'checks[0]',
    );
    let err: unknown;
    try {
      metricCheck(source, check);
    } catch (e) {
      err = e;
    }
    expect(isSiftError(err) && err.code).toBe('DEPLOY_INVALID');
  });
});
