import { SiftError } from '../../errors.js';
import type { Color } from '../types.js';
import { invalidOption } from './options.js';

/**
 * PromQL templates: a query with `{name}` placeholders, filled per colour when the check runs. `{color}` and
 * `{window}` always exist; users add their own through `vars`. A PromQL label matcher never looks like `{name}`
 * (it needs an operator), so the placeholders cannot collide with the query's own braces.
 */

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const BUILT_IN_VARS = ['color', 'window'] as const;

export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** Refuses a template that names a placeholder nothing will fill, when the check is built rather than run. */
export function checkTemplate(
  what: string,
  template: string,
  vars: Readonly<Record<string, string>> = {},
): string {
  if (typeof template !== 'string' || template.trim() === '')
    throw invalidOption(what, 'must not be empty', template);
  const known = new Set<string>([...BUILT_IN_VARS, ...Object.keys(vars)]);
  const unknown = placeholders(template).filter((p) => !known.has(p));
  if (unknown.length > 0)
    throw new SiftError(
      'DEPLOY_INVALID',
      `${what} uses ${unknown.map((u) => `{${u}}`).join(', ')}, which nothing defines (known: ${[...known].join(', ')})`,
      { option: what, unknown },
    );
  return template;
}

export function windowOption(what: string, value: string): string {
  if (typeof value !== 'string' || !DURATION.test(value))
    throw invalidOption(what, 'must be a Prometheus duration such as 30s, 1m or 1h30m', value);
  return value;
}

export function labelNameOption(what: string, value: string): string {
  if (typeof value !== 'string' || !LABEL_NAME.test(value) || value.startsWith('__'))
    throw invalidOption(what, 'must be a Prometheus label name', value);
  return value;
}

/**
 * Extra label matchers added to the built-in queries' selectors (`job="sift",namespace="prod"`), for a
 * Prometheus that scrapes more than one Sift. Checked for balance only; Prometheus judges the rest.
 */
export function matchersOption(what: string, value: string): string {
  if (typeof value !== 'string' || /[{}\n]/.test(value) || (value.match(/"/g)?.length ?? 0) % 2 !== 0)
    throw invalidOption(what, 'must be label matchers such as job="sift" (no braces)', value);
  return value.trim().replace(/^,|,$/g, '');
}

export function fillTemplate(
  template: string,
  values: { color: Color; window: string; vars?: Readonly<Record<string, string>> },
): string {
  const all: Record<string, string> = { ...values.vars, color: values.color, window: values.window };
  return template.replace(PLACEHOLDER, (whole, name: string) => all[name] ?? whole);
}

/** Probes and scrapes are not user traffic and would dilute the ratios; the alert rules leave them out too. */
const NOT_USER_TRAFFIC = 'route!~"/health.*|/metrics"';

function selector(colorLabel: string, matchers: string, extra: string): string {
  return `{${[`${colorLabel}="{color}"`, matchers, NOT_USER_TRAFFIC, extra].filter(Boolean).join(',')}}`;
}

/**
 * 5xx answers over all answers of the colour, from Sift's `http_requests_total{route,method,status}`. The
 * numerator falls back to 0 when no 5xx series exists yet (a healthy colour), so only a colour without any
 * requests yields no data.
 */
export function errorRatioTemplate(colorLabel: string, matchers = ''): string {
  const errors = `sum(rate(http_requests_total${selector(colorLabel, matchers, 'status=~"5.."')}[{window}]))`;
  const all = `sum(rate(http_requests_total${selector(colorLabel, matchers, '')}[{window}]))`;
  return `(${errors} or vector(0)) / ${all}`;
}

/** A latency quantile of the colour from Sift's `http_request_duration_seconds` histogram, in seconds. */
export function latencyTemplate(colorLabel: string, quantile: number, matchers = ''): string {
  const buckets = `http_request_duration_seconds_bucket${selector(colorLabel, matchers, '')}`;
  return `histogram_quantile(${quantile}, sum by (le) (rate(${buckets}[{window}])))`;
}
