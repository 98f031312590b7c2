import { describe, expect, it } from 'vitest';
import { isSiftError } from '../../errors.js';
import {
  checkTemplate,
  errorRatioTemplate,
  fillTemplate,
  labelNameOption,
  latencyTemplate,
  matchersOption,
  placeholders,
  windowOption,
} from './promql.js';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return isSiftError(err) ? err.code : `not a SiftError: ${String(err)}`;
  }
  return 'no error';
};

describe('PromQL templates', () => {
  it('fills {color}, {window} and user vars, leaving label matchers alone', () => {
    const q = 'sum(rate(x{color="{color}",job="{job}"}[{window}])) > bool {limit}';
    expect(placeholders(q)).toEqual(['color', 'job', 'window', 'limit']);
    expect(fillTemplate(q, { color: 'green', window: '2m', vars: { job: 'sift', limit: '3' } })).toBe(
      'sum(rate(x{color="green",job="sift"}[2m])) > bool 3',
    );
  });

  it('does not let a var override the colour or the window', () => {
    expect(
      fillTemplate('{color} {window}', { color: 'blue', window: '1m', vars: { color: 'x', window: 'y' } }),
    ).toBe('blue 1m');
  });

  it('refuses a placeholder nothing defines, naming it', () => {
    expect(codeOf(() => checkTemplate('q', 'up{color="{colour}"}'))).toBe('DEPLOY_INVALID');
    expect(() => checkTemplate('q', 'up{color="{colour}"}')).toThrow(/\{colour\}/);
    expect(checkTemplate('q', 'up{color="{color}",job="{job}"}', { job: 'sift' })).toContain('{job}');
    expect(codeOf(() => checkTemplate('q', '  '))).toBe('DEPLOY_INVALID');
  });

  it('accepts Prometheus durations only as windows', () => {
    for (const w of ['30s', '1m', '1h30m', '500ms', '2d']) expect(windowOption('w', w)).toBe(w);
    for (const w of ['1', '1 m', 'm', '-1m', '1min', ''])
      expect(codeOf(() => windowOption('w', w))).toBe('DEPLOY_INVALID');
  });

  it('accepts label names and balanced matchers only', () => {
    expect(labelNameOption('l', 'color')).toBe('color');
    for (const l of ['1color', 'col-or', '__name__', ''])
      expect(codeOf(() => labelNameOption('l', l))).toBe('DEPLOY_INVALID');
    expect(matchersOption('m', 'job="sift", namespace="prod",')).toBe('job="sift", namespace="prod"');
    for (const m of ['job="sift', '{job="sift"}', 'a="b"\nc="d"'])
      expect(codeOf(() => matchersOption('m', m))).toBe('DEPLOY_INVALID');
  });

  it('builds the error ratio from Sift request counter, without probes and scrapes, 0 when no 5xx exists', () => {
    const q = fillTemplate(errorRatioTemplate('color', 'job="sift"'), { color: 'green', window: '1m' });
    expect(q).toBe(
      '(sum(rate(http_requests_total{color="green",job="sift",route!~"/health.*|/metrics",status=~"5.."}[1m])) or vector(0))' +
        ' / sum(rate(http_requests_total{color="green",job="sift",route!~"/health.*|/metrics"}[1m]))',
    );
  });

  it('builds the latency quantile from Sift duration histogram, with another colour label', () => {
    const q = fillTemplate(latencyTemplate('track', 0.99), { color: 'blue', window: '5m' });
    expect(q).toBe(
      'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{track="blue",route!~"/health.*|/metrics"}[5m])))',
    );
  });
});
